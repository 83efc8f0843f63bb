// Checklist case B3 (docs/security-checklist.md) for the failures other than a 5xx (that one is in
// test/connect/callback.test.ts): a token endpoint that never answers, and one that refuses the
// connection. Each app is its own: a short deadline, or a Cronofy API host nothing listens on.
import { type Harness, consent, pathOf, startHarness } from '../support/harness';
import { sessionCookie, sessionData } from '../support/stored';

/** Starts Individual Connect, consents, and returns the callback's answer once the token request failed. */
async function failedCallback(h: Harness) {
  const agent = h.agent();
  const start = await agent.get('/connect/individual').expect(302);
  const back = await consent(start.headers.location as string);
  const res = await agent.get(pathOf(back)).expect(503);
  expect(res.text).toContain('Cronofy is not answering');
  expect(res.headers['retry-after']).toBe('5');
  // Nothing stored: the session still has no connection, and the pages still ask to connect.
  expect((await sessionData(h.redis, sessionCookie(start)))?.connections).toBeUndefined();
  await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
  return res;
}

describe('B3: the token endpoint never answers', () => {
  // The app's own deadline, short; a hold never released is Cronofy not answering (decision 014).
  let hung: Harness;
  beforeAll(async () => {
    hung = await startHarness({ env: { CRONOFY_TIMEOUT_MS: '3000' } });
  });
  afterAll(() => hung.close());

  it('B3: answers 503 when the deadline ends the token request, and never sends the code again', async () => {
    hung.emulator.control.hold('/oauth/token'); // waits out the 3 s deadline: only it can end the call
    await failedCallback(hung);
    expect(hung.emulator.control.requests().filter((r) => r.path === '/oauth/token')).toHaveLength(1);
  });
});

describe('B3: the token endpoint refuses the connection', () => {
  let refused: Harness;
  beforeAll(async () => {
    // Authorize on the emulator (the app host), exchange at an API host where nothing listens: port 1
    // (tcpmux), below the range any test binds (they listen on port 0), so no other worker can take it.
    refused = await startHarness({ env: { CRONOFY_API_URL: 'http://127.0.0.1:1' } });
  });
  afterAll(() => refused.close());

  it('B3: answers 503 when the connection is refused', async () => {
    await failedCallback(refused);
  });
});
