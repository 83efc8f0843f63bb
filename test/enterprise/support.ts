// Enterprise Connect in tests: the administrator's path through the app and the emulator, and
// Cronofy's callbacks replayed into the app exactly as the emulator signed them (the harness app
// does not listen on a port, so the emulator records callbacks instead of sending them).
import request from 'supertest';
import { consent, csrfTokenFrom, type Harness, pathOf } from '../support/harness';
import type { SentCallback } from '../../src/emulator/types';

type Agent = ReturnType<typeof request.agent>;

/** GET /connect/enterprise → the emulator's administrator page (Allow) → the app's callback. */
export async function connectEnterprise(agent: Agent, decision: 'Allow' | 'Deny' = 'Allow') {
  const start = await agent.get('/connect/enterprise').expect(302);
  const back = await consent(start.headers.location as string, { decision });
  return agent.get(pathOf(back));
}

export async function authorizeEmail(agent: Agent, email: string) {
  const csrf = await csrfTokenFrom(agent, '/enterprise');
  return agent.post('/enterprise/authorizations').type('form').send({ _csrf: csrf, email }).expect(302).expect('Location', '/enterprise');
}

/** The newest callback the emulator decided for this email's request. */
export function callbackFor(h: Harness, email: string): SentCallback {
  const request = [...h.emulator.control.requests()].reverse().find((r) => r.path === '/v1/service_account_authorizations' && (r.body as { email?: string }).email === email);
  const url = (request?.body as { callback_url?: string } | undefined)?.callback_url;
  const sent = [...h.emulator.control.callbacks()].reverse().find((c) => c.url === url);
  if (!sent) throw new Error(`no callback decided for ${email}`);
  return sent;
}

/** POSTs a callback into the app as Cronofy would; parts may be replaced to forge or break it. */
export function deliver(h: Harness, callback: SentCallback, changes: { body?: string | Buffer; headers?: Record<string, string | undefined> } = {}) {
  const headers = { ...callback.headers, ...changes.headers };
  let req = request(h.app).post(new URL(callback.url).pathname);
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) req = req.set(name, value);
  return req.send(changes.body ?? callback.body);
}
