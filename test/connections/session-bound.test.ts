// Records only one browser session can reach (decision 010: Enterprise Connect's service account
// and its people, a token answer without `sub`) lapse when the session idles out, not hours later
// at its absolute end; its requests keep them, cheaply. Real Redis, the emulator over HTTP, time
// driven through the app's clock, the revocation worker observed round by round.
import { type Harness, connectThrough, csrfTokenFrom, startHarness } from '../support/harness';
import { sessionCookie, sessionData, sessionKey } from '../support/stored';
import { authorizeEmail, callbackFor, connectEnterprise, deliver } from '../enterprise/support';
import { createPeopleStore } from '../../src/enterprise/people-store';
import { SESSION_ABSOLUTE_MS, SESSION_HOLD_MS, SESSION_HOLD_RENEW_MS, SESSION_IDLE_MS } from '../../src/session';

let h: Harness;
let clock = Date.now();
const MINUTE = 60 * 1000;

beforeAll(async () => {
  h = await startHarness({ now: () => clock, emulator: { deliverCallbacks: false } });
});
afterAll(() => h.close());
beforeEach(() => {
  clock = Date.now();
  h.emulator.control.reset();
});

type Agent = ReturnType<Harness['agent']>;
const NO_SUB_REFRESH = 'no-sub-refresh-token-0123456789a';
const revokedTokens = () => h.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke').map((r) => (r.body as { token?: string }).token);

/** Connects Individual Connect through a token answer without `sub` (no sign-in possible). */
async function connectWithoutSub(agent: Agent) {
  h.emulator.control.failNext('/oauth/token', {
    method: 'POST',
    status: 200,
    body: { token_type: 'bearer', access_token: 'no-sub-access-token-0123456789ab', expires_in: 3600, refresh_token: NO_SUB_REFRESH, scope: 'read_account list_calendars' },
  });
  const res = await connectThrough(agent, { account: 'Google' });
  expect(res.status).toBe(302);
  return res;
}

/** One browser session holding a service account, a person authorized through it, and a connection without `sub`. */
async function sessionHoldingAll() {
  const agent = h.agent();
  expect((await connectEnterprise(agent)).status).toBe(302);
  await authorizeEmail(agent, 'sam.okafor@fabrikam.example');
  await deliver(h, callbackFor(h, 'sam.okafor@fabrikam.example')).expect(200);
  const cookie = sessionCookie(await connectWithoutSub(agent));
  const { connections } = (await sessionData(h.redis, cookie))!;
  const [person] = await createPeopleStore(h.kv, SESSION_ABSOLUTE_MS).list(connections!.enterprise!);
  expect(person?.status).toBe('authorized');
  return { agent, cookie, ids: { service: connections!.enterprise!, person: person!.connection_id!, noSub: connections!.individual! } };
}

/** Whether the app still holds a record and, for a real grant, Cronofy still has it live. */
async function held(id: string): Promise<boolean> {
  const stored = await h.tokens.get(id);
  if (!stored) return false;
  if (stored.connection.refresh_token === NO_SUB_REFRESH) return true; // made up by the fault: no grant at the emulator
  return h.emulator.control.liveGrants().some((g) => g.refresh_token === stored.connection.refresh_token);
}

describe('a session that idles out', () => {
  it('M2: its service account, the person authorized through it and its connection without sub are revoked soon after, not at the 8-hour end', async () => {
    const { ids } = await sessionHoldingAll();
    const grants = await Promise.all(Object.values(ids).map(async (id) => (await h.tokens.get(id))!.connection.refresh_token));

    clock += SESSION_IDLE_MS; // no request since: the session store has let the session go
    await h.workerRound();
    expect(await Promise.all(Object.values(ids).map(held))).toEqual([true, true, true]); // within the grace

    clock += SESSION_HOLD_MS - SESSION_IDLE_MS; // 50 minutes after the last request, hours before the absolute end
    await h.workerRound();
    expect(await Promise.all(Object.values(ids).map((id) => h.tokens.get(id)))).toEqual([null, null, null]);
    const live = h.emulator.control.liveGrants().map((g) => g.refresh_token);
    expect(grants.filter((token) => live.includes(token))).toEqual([]);
    expect(revokedTokens()).toEqual(expect.arrayContaining(grants)); // the made-up one too: it was asked for
  });
});

describe('a session in use', () => {
  it('M2: keeps them for as long as it makes requests, and lets them lapse once it stops', async () => {
    const { agent, ids } = await sessionHoldingAll();
    for (let i = 0; i < 6; i++) {
      clock += 20 * MINUTE; // two hours in all, each gap shorter than the idle timeout
      await agent.get('/').expect(200);
      await h.workerRound();
      expect(await Promise.all(Object.values(ids).map(held))).toEqual([true, true, true]);
    }
    clock += SESSION_HOLD_MS;
    await h.workerRound();
    expect(await Promise.all(Object.values(ids).map(held))).toEqual([false, false, false]);
  });

  it('moves their lapse on at most once per half idle timeout, and not at all once it reaches the absolute end', async () => {
    const agent = h.agent();
    const start = clock;
    const cookie = sessionCookie(await connectEnterprise(agent));
    const serviceId = (await sessionData(h.redis, cookie))!.connections!.enterprise!;
    const lapse = async () => Number(await h.redis.zscore(h.tokens.lapseSchedule, serviceId));
    const boundUntil = async () => (await sessionData(h.redis, cookie))?.boundUntil;
    expect(await lapse()).toBe(start + SESSION_HOLD_MS);
    expect(await boundUntil()).toBe(start + SESSION_HOLD_MS);

    // A request a minute: nothing is written while more than SESSION_HOLD_RENEW_MS is left.
    const window = SESSION_HOLD_MS - SESSION_HOLD_RENEW_MS;
    expect(window).toBe(SESSION_IDLE_MS / 2);
    for (let t = MINUTE; t < window; t += MINUTE) {
      clock = start + t;
      await agent.get('/').expect(200);
      expect(await lapse()).toBe(start + SESSION_HOLD_MS);
      expect(await boundUntil()).toBe(start + SESSION_HOLD_MS);
    }
    // The first request past the window moves it, once; the next ones in the new window do not.
    const moved = start + window + MINUTE;
    for (let t = moved; t < moved + window; t += 3 * MINUTE) {
      clock = t;
      await agent.get('/').expect(200);
      expect(await lapse()).toBe(moved + SESSION_HOLD_MS);
      expect(await boundUntil()).toBe(moved + SESSION_HOLD_MS);
    }

    // Near the absolute end the lapse stops at it, and the session stops writing. The session is in
    // use all the way there (a request every half idle timeout), so the revocation worker, which runs
    // on its own timer, never finds the lapse behind the clock on the way.
    const nearEnd = start + SESSION_ABSOLUTE_MS - 10 * MINUTE;
    for (let t = clock + window; t < nearEnd; t += window) {
      clock = t;
      await agent.get('/').expect(200);
    }
    clock = nearEnd;
    await agent.get('/').expect(200);
    expect(await lapse()).toBe(start + SESSION_ABSOLUTE_MS);
    expect(await boundUntil()).toBeUndefined();
    const saved = await h.redis.get(sessionKey(cookie));
    clock += MINUTE;
    await agent.get('/').expect(200);
    expect(await h.redis.get(sessionKey(cookie))).toBe(saved);
  });
});

describe('POST /logout', () => {
  it('M2: revokes a connection without sub at once: nobody could sign in to it again', async () => {
    const agent = h.agent();
    const { connections } = (await sessionData(h.redis, sessionCookie(await connectWithoutSub(agent))))!;
    const csrf = await csrfTokenFrom(agent, '/');
    const page = await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(200);
    expect(page.text).toContain('The app gave it back to Cronofy');
    expect(revokedTokens()).toEqual([NO_SUB_REFRESH]);
    expect(await h.tokens.get(connections!.individual!)).toBeNull();
  });
});
