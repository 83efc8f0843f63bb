// The emulator's own front page and the one stylesheet its pages use.
import path from 'node:path';
import type { Handler } from './context';

export const showHome: Handler = (_ctx, _req, res) => {
  res.render('message', {
    heading: 'The Cronofy emulator is running',
    text: 'Nothing to see here: applications send people to /oauth/authorize and call /oauth/token and /v1/*. See docs/emulator.md.',
  });
};

export const stylesheet: Handler = (_ctx, _req, res) => {
  res.set('Cache-Control', 'public, max-age=3600').sendFile(path.join(__dirname, 'assets', 'emulator.css'));
};
