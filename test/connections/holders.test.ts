// Connections that outlive the first connect (decision 010): sign-in by Cronofy account, linked
// accounts, and no grant left alive at Cronofy without a holder in the app.
import { parse } from 'node-html-parser';
import request from 'supertest';
import type { Connection } from '../../src/connections/connection';
import { connectionIdFor } from '../../src/connections/identity';
import { seedWorld } from '../../src/emulator/seed';
import { consent, type CookieJar } from '../support/forms';
import { type Harness, connectThrough, csrfTokenFrom, pathOf, startHarness, submitForm } from '../support/harness';
import { sessionCookie, sessionData } from '../support/stored';

let h: Harness;
let clock = Date.now();
const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
afterAll(() => h.close());
beforeEach(() => {
  clock = Date.now();
  h.emulator.control.reset();
});

type Agent = ReturnType<Harness['agent']>;
const calls = (path: string) => h.emulator.control.requests().filter((r) => r.path === path);

const applicationOf = (harness: Harness) => {
  const { clientId, appUrl, apiUrl } = harness.config.cronofy;
  return { clientId, appUrl, apiUrl };
};

/** The record the app keeps for this sub (null when it keeps none). */
async function recordFor(sub: string, kind: 'individual' | 'organization' = 'individual'): Promise<Connection | null> {
  const { clientId, appUrl, apiUrl, dataCenter } = h.config.cronofy;
  const raw = await h.redis.get(`cronofy-connect:connection:${connectionIdFor({ clientId, appUrl, apiUrl }, kind, dataCenter, sub)}`);
  return raw === null ? null : (JSON.parse(raw.slice(raw.indexOf('.') + 1)) as Connection);
}

/** Live grants at the emulator whose refresh token the app does not hold where that person would find it. */
async function unheldGrants(): Promise<string[]> {
  const unheld: string[] = [];
  for (const grant of h.emulator.control.liveGrants()) {
    const record = await recordFor(grant.sub, grant.sub.startsWith('org_') ? 'organization' : 'individual');
    if (record?.refresh_token !== grant.refresh_token) unheld.push(grant.sub);
  }
  return unheld;
}

async function logout(agent: Agent): Promise<void> {
  const csrf = await csrfTokenFrom(agent, '/');
  await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(200);
}

async function disconnect(agent: Agent) {
  const csrf = await csrfTokenFrom(agent, '/');
  await agent.post('/disconnect').type('form').send({ _csrf: csrf }).expect(302);
  return agent.get('/');
}

/** The next revocation event for `reason` (other work of the worker, e.g. lapsed records of earlier tests, is skipped). */
async function nextRevocationFor(reason: string) {
  for (;;) {
    const event = await h.nextRevocation();
    if (event.reason === reason) return event;
  }
}

describe('reconnecting a linked account (GET /oauth/callback)', () => {
  it('M1: keeps working when Cronofy hands back the same refresh token', async () => {
    const browser: CookieJar = {};
    const agent = h.agent();
    expect((await connectThrough(agent, { browser })).status).toBe(302);
    const again = await connectThrough(agent, { browser });
    expect(again.status).toBe(302);
    expect(again.headers.location).toBe('/calendars');
    await agent.get('/calendars').expect(200);
    expect(calls('/oauth/token/revoke')).toHaveLength(0);
    expect(h.emulator.control.liveGrants()).toHaveLength(1);
    expect(await unheldGrants()).toEqual([]);
  });

  it('M1: keeps working when Cronofy hands back a new refresh token for the same account', async () => {
    const other = await startHarness({ now: () => clock, emulator: { relinkRefreshToken: 'new' } });
    try {
      const browser: CookieJar = {};
      const agent = other.agent();
      expect((await connectThrough(agent, { browser })).status).toBe(302);
      expect((await connectThrough(agent, { browser })).status).toBe(302);
      await agent.get('/calendars').expect(200);
      expect(other.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(0);
      expect(other.emulator.control.liveGrants()).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('revokes the replaced grant when another account is connected in its place', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { account: 'Google' })).status).toBe(302);
    const [replaced] = h.emulator.control.liveGrants();
    expect((await connectThrough(agent, { account: 'Microsoft' })).status).toBe(302);
    expect(calls('/oauth/token/revoke').map((r) => (r.body as { token?: string }).token)).toEqual([replaced!.refresh_token]);
    expect(await recordFor(replaced!.sub)).toBeNull();
    expect(await unheldGrants()).toEqual([]);
  });

  it('M4: says "revocation pending" when the replaced grant cannot be revoked at once, and the queue finishes it', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    const queued = nextRevocationFor('replaced');
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    expect((await queued).outcome).toBe('queued');
    expect((await agent.get('/calendars').expect(200)).text).toContain('Revocation pending');
    const confirmed = nextRevocationFor('replaced');
    clock += 10 * 60 * 1000;
    expect((await confirmed).outcome).toBe('revoked');
    expect(await unheldGrants()).toEqual([]);
  });
});

describe('signing in again', () => {
  it('M2: after logout: finds the same connection, says so, and holds one grant', async () => {
    const browser: CookieJar = {};
    const first = h.agent();
    expect((await connectThrough(first, { browser })).status).toBe(302);
    await logout(first);
    expect(await unheldGrants()).toEqual([]); // logout revokes nothing and keeps the record

    const again = h.agent();
    expect((await connectThrough(again, { browser })).status).toBe(302);
    const home = await again.get('/calendars').expect(200);
    expect(home.text).toContain('Welcome back');
    expect(h.emulator.control.liveGrants()).toHaveLength(1);
    expect(await unheldGrants()).toEqual([]);
  });

  it('M2: after the session expired: finds the same connection, with its first connection time', async () => {
    const browser: CookieJar = {};
    const first = h.agent();
    expect((await connectThrough(first, { browser })).status).toBe(302);
    const sub = h.emulator.control.liveGrants()[0]!.sub;
    const connectedAt = (await recordFor(sub))!.connected_at;
    clock += 9 * 60 * 60 * 1000; // past the session's absolute lifetime
    await first.get('/calendars').expect(302); // the session is over
    expect(await unheldGrants()).toEqual([]);

    expect((await connectThrough(first, { browser })).status).toBe(302);
    expect((await first.get('/').expect(200)).text).toContain('Welcome back');
    expect((await recordFor(sub))!.connected_at).toBe(connectedAt);
    expect(h.emulator.control.liveGrants()).toHaveLength(1);
  });

  it.each(['same', 'new'] as const)(
    'M16: from a second browser Cronofy does not link (%s refresh token): the account keeps one authorization, held through the newer token',
    async (relinkRefreshToken) => {
      const other = relinkRefreshToken === 'same' ? h : await startHarness({ now: () => clock, emulator: { relinkRefreshToken } });
      try {
        const laptop = other.agent();
        const phone = other.agent();
        expect((await connectThrough(laptop, { account: 'Google', browser: {} })).status).toBe(302);
        const older = other.emulator.control.liveGrants()[0]!;
        expect((await connectThrough(phone, { account: 'Google', browser: {} })).status).toBe(302); // no linking cookie
        expect((await phone.get('/').expect(200)).text).toContain('Welcome back');

        const grants = other.emulator.control.liveGrants();
        expect(grants).toHaveLength(1);
        expect(grants[0]!.sub).toBe(older.sub);
        const held = (await other.tokens.get(connectionIdFor(applicationOf(other), 'individual', other.config.cronofy.dataCenter, older.sub)))!;
        expect(held.connection.refresh_token).toBe(grants[0]!.refresh_token);
        expect(other.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(0);
        await laptop.get('/calendars').expect(200); // both browsers reach the one record
        await phone.get('/calendars').expect(200);
      } finally {
        if (other !== h) await other.close();
      }
    },
  );

  it('a token answer without sub (no sign-in possible) lapses with its session, and its grant is revoked then', async () => {
    const agent = h.agent();
    h.emulator.control.failNext('/oauth/token', {
      method: 'POST',
      status: 200,
      body: { token_type: 'bearer', access_token: 'no-sub-access-token-0123456789ab', expires_in: 3600, refresh_token: 'no-sub-refresh-token-0123456789a', scope: 'read_account list_calendars' },
    });
    expect((await connectThrough(agent, { account: 'Google' })).status).toBe(302);
    clock += 9 * 60 * 60 * 1000; // past the session's absolute lifetime: no browser can reach the record
    for (;;) {
      const next = nextRevocationFor('lapsed');
      if (calls('/oauth/token/revoke').some((r) => (r.body as { token?: string }).token === 'no-sub-refresh-token-0123456789a')) break;
      await next;
    }
  });

  it('M2: after 30 days without a sign-in: the record is deleted and its grant revoked, by whichever instance runs', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    clock += 31 * DAY;
    while (h.emulator.control.liveGrants().length > 0) await h.nextRevocation(); // any instance's worker
    expect(h.emulator.control.liveGrants()).toEqual([]);
    await agent.get('/calendars').expect(302);
  });
});

describe('no grant without a holder', () => {
  it('M3: a refresh whose answer was lost: the rotated grant is revoked by sub when Cronofy then says invalid_grant', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    const { sub } = h.emulator.control.liveGrants()[0]!;
    clock += 2 * 60 * 60 * 1000;
    h.emulator.control.failNext('/oauth/token', { dropAnswer: true, method: 'POST' });
    const lost = await agent.get('/calendars');
    expect(lost.status).toBeGreaterThanOrEqual(500);
    expect(h.emulator.control.liveGrants()).toHaveLength(1); // rotated at Cronofy, the app kept the old token

    const page = await agent.get('/calendars');
    expect(page.text).toContain('connect your calendar again');
    expect(calls('/oauth/token/revoke').map((r) => (r.body as { sub?: string }).sub)).toContain(sub);
    expect(h.emulator.control.liveGrants()).toEqual([]);
  });

  it('tokens that cannot be stored: revoked by sub, and the person is told', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string, { account: 'Microsoft' });
    // The record's key holds something that is not a string: the write fails in Redis.
    const accountId = seedWorld().accounts.find((a) => a.label.includes('Microsoft'))!.account_id;
    const { clientId, appUrl, apiUrl, dataCenter } = h.config.cronofy;
    const key = `cronofy-connect:connection:${connectionIdFor({ clientId, appUrl, apiUrl }, 'individual', dataCenter, accountId)}`;
    await h.redis.del(key);
    await h.redis.rpush(key, 'not a token record');
    try {
      const res = await agent.get(pathOf(back));
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.text).toContain('could not be kept');
      expect(calls('/oauth/token/revoke').map((r) => (r.body as { sub?: string }).sub)).toContain(accountId);
      expect(h.emulator.control.liveGrants()).toEqual([]);
    } finally {
      await h.redis.del(key);
    }
  });

  it('M5: two tabs of one browser finishing at the same moment: every grant ends held or revoked', async () => {
    const agent = h.agent();
    const browser: CookieJar = {};
    const one = await agent.get('/connect/individual').expect(302);
    const two = await agent.get('/connect/individual').expect(302);
    const backOne = await consent(one.headers.location as string, { account: 'Google' }, browser);
    const backTwo = await consent(two.headers.location as string, { account: 'Microsoft' }, browser);
    // Holds on one path catch calls in order: the first exchange, then a second if one comes.
    const firstExchange = h.emulator.control.hold('/oauth/token', { method: 'POST' });
    const secondExchange = h.emulator.control.hold('/oauth/token', { method: 'POST' });

    const first = agent.get(pathOf(backOne)).then((r) => r);
    await firstExchange.arrived;
    const second = agent.get(pathOf(backTwo)).then((r) => r);
    const secondOutcome = await Promise.race([second.then(() => 'answered'), secondExchange.arrived.then(() => 'exchanging')]);
    firstExchange.release();
    secondExchange.release();
    const [a, b] = await Promise.all([first, second]);
    expect(secondOutcome).toBe('answered');
    expect(a.status).toBe(302);
    expect(b.status).toBe(409);
    expect(b.text).toContain('Another tab');
    expect(await unheldGrants()).toEqual([]);
    expect(h.emulator.control.liveGrants()).toHaveLength(1);
  });

  it('M4: a revoke that fails is queued, shown as pending, and retried with back-off until the emulator confirms', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503, times: 3 });
    const settled: string[] = [];
    const confirmed = (async () => {
      for (;;) {
        const event = await h.nextRevocation();
        if (event.reason !== 'disconnect') continue;
        settled.push(event.outcome);
        if (event.outcome === 'revoked') return;
        clock += 10 * 60 * 1000; // the next try falls due
      }
    })();
    const home = await disconnect(agent);
    expect(home.text).toContain('Revocation pending');
    await confirmed;
    expect(settled).toEqual(['queued', 'retry', 'retry', 'revoked']);
    expect(h.emulator.control.liveGrants()).toEqual([]);
  });

  it('M4: a queued revoke survives a restart: another instance started later confirms it', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    h.stopFirstWorker(); // this instance's worker ends, as its process would
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    const queued = nextRevocationFor('disconnect');
    expect((await disconnect(agent)).text).toContain('Revocation pending');
    expect((await queued).outcome).toBe('queued');
    expect(h.emulator.control.liveGrants()).toHaveLength(1);

    clock += 10 * 60 * 1000;
    const confirmed = nextRevocationFor('disconnect');
    h.secondInstance(); // a new process on the same Redis
    expect((await confirmed).outcome).toBe('revoked');
    expect(h.emulator.control.liveGrants()).toEqual([]);
  });
});

describe('a queued revoke and a newer connection of the same account', () => {
  /**
   * Proves the worker has worked every job due now: a revoke queued after them ('replaced', for
   * another person) falls due with them and is confirmed; due jobs are worked soonest first.
   */
  async function workerPassed(): Promise<void> {
    const other = h.agent();
    expect((await connectThrough(other, { separateAccount: true })).status).toBe(302);
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    const queued = nextRevocationFor('replaced');
    expect((await connectThrough(other, { separateAccount: true })).status).toBe(302);
    expect((await queued).outcome).toBe('queued');
    const confirmed = nextRevocationFor('replaced');
    clock += 60 * 60 * 1000;
    expect((await confirmed).outcome).toBe('revoked');
  }

  const revokesOf = (sub: string, token: string) =>
    calls('/oauth/token/revoke').filter((r) => (r.body as { sub?: string }).sub === sub || (r.body as { token?: string }).token === token);

  /** The worker has worked everything due, sent no revoke of this account's held grant, and the connection still works. */
  async function expectKeptThroughWorker(agent: Agent, sub: string): Promise<void> {
    const held = (await recordFor(sub))!;
    h.emulator.control.clearRequests();
    await workerPassed();
    expect(revokesOf(sub, held.refresh_token)).toEqual([]);
    await agent.get('/calendars').expect(200);
    expect(await unheldGrants()).toEqual([]);
  }

  it('M15: a revoke by sub queued after a lost refresh answer is cancelled when the account signs in again: the worker leaves the new connection alone', async () => {
    const first = h.agent();
    expect((await connectThrough(first, { account: 'Microsoft', browser: {} })).status).toBe(302);
    const { sub } = h.emulator.control.liveGrants()[0]!;
    clock += 2 * 60 * 60 * 1000;
    h.emulator.control.failNext('/oauth/token', { dropAnswer: true, method: 'POST' });
    expect((await first.get('/calendars')).status).toBeGreaterThanOrEqual(500);
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    const queued = nextRevocationFor('invalid_grant on refresh');
    expect((await first.get('/calendars')).text).toContain('connect your calendar again');
    expect((await queued).outcome).toBe('queued');
    expect(await unheldGrants()).toEqual([sub]); // rotated at Cronofy; the revoke by sub is queued

    const cancelled = nextRevocationFor('invalid_grant on refresh');
    const again = h.agent();
    expect((await connectThrough(again, { account: 'Microsoft', browser: {} })).status).toBe(302); // another browser
    expect((await cancelled).outcome).toBe('cancelled');
    await expectKeptThroughWorker(again, sub);
    expect(h.emulator.control.liveGrants().filter((g) => g.sub === sub)).toHaveLength(1);
  });

  it('M15: a disconnect whose revoke was queued does not end the connection made again from the same browser', async () => {
    const browser: CookieJar = {};
    const agent = h.agent();
    expect((await connectThrough(agent, { account: 'Microsoft', browser })).status).toBe(302);
    const { sub } = h.emulator.control.liveGrants()[0]!;
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    expect((await disconnect(agent)).text).toContain('Revocation pending');

    // Cronofy never heard of the disconnect: it re-authorizes the live grant, same refresh token.
    expect((await connectThrough(agent, { account: 'Microsoft', browser })).status).toBe(302);
    await expectKeptThroughWorker(agent, sub);
  });

  it('M15: a queued revoke that fails again while the account signs in is not put back in the queue', async () => {
    const browser: CookieJar = {};
    const agent = h.agent();
    expect((await connectThrough(agent, { account: 'Microsoft', browser })).status).toBe(302);
    const { sub } = h.emulator.control.liveGrants()[0]!;
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    expect((await disconnect(agent)).text).toContain('Revocation pending');

    const retry = h.emulator.control.hold('/oauth/token/revoke', { method: 'POST' });
    clock += 10 * 60 * 1000;
    await retry.arrived; // the worker's retry is on the wire
    const cancelled = nextRevocationFor('disconnect');
    const signingIn = connectThrough(agent, { account: 'Microsoft', browser });
    expect((await cancelled).outcome).toBe('cancelled'); // the sign-in holds the record and cancelled the job
    const settled = nextRevocationFor('disconnect');
    retry.release({ status: 503 });
    expect((await settled).outcome).toBe('cancelled');
    expect((await signingIn).status).toBe(302); // it waited for the retry's answer, checked the grant, kept it
    await expectKeptThroughWorker(agent, sub);
  });
});

describe('a revoke already on the wire when the account signs in again', () => {
  /** Connected, disconnected while Cronofy could not be reached, and the worker's retry now held on its way to Cronofy. */
  async function retryOnTheWire() {
    const browser: CookieJar = {};
    const agent = h.agent();
    expect((await connectThrough(agent, { account: 'Microsoft', browser })).status).toBe(302);
    const { sub } = h.emulator.control.liveGrants()[0]!;
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    expect((await disconnect(agent)).text).toContain('Revocation pending');
    const retry = h.emulator.control.hold('/oauth/token/revoke', { method: 'POST' });
    clock += 10 * 60 * 1000;
    await retry.arrived;
    h.emulator.control.clearRequests();
    return { agent, browser, sub, retry };
  }

  it('M17: reaching Cronofy after the new code exchange: the sign-in waits for it, says "connect again" at once and keeps no dead record', async () => {
    const { agent, browser, sub, retry } = await retryOnTheWire();
    const cancelled = nextRevocationFor('disconnect');
    const signingIn = connectThrough(agent, { account: 'Microsoft', browser });
    expect((await cancelled).outcome).toBe('cancelled'); // exchanged and stored: too late to stop the retry
    retry.release(); // Cronofy now ends the account's one authorization: the one just given
    const page = await signingIn;
    expect(page.status).toBe(409);
    expect(page.text).toContain('Please connect your calendar again');
    expect(page.text).toContain('arrived just after you connected');
    expect(calls('/v1/userinfo')).toHaveLength(1); // the one check
    expect(await recordFor(sub)).toBeNull();
    expect(h.emulator.control.liveGrants().filter((g) => g.sub === sub)).toEqual([]);

    expect((await connectThrough(agent, { account: 'Microsoft', browser })).status).toBe(302); // and again works
    await agent.get('/calendars').expect(200);
    expect(await unheldGrants()).toEqual([]);
  });

  it('M17: answered while the code exchange was on the wire: the new grant is checked with one call and kept', async () => {
    const { agent, browser, sub, retry } = await retryOnTheWire();
    const exchange = h.emulator.control.hold('/oauth/token', { method: 'POST' });
    const signingIn = connectThrough(agent, { account: 'Microsoft', browser });
    await exchange.arrived;
    const revoked = nextRevocationFor('disconnect');
    retry.release(); // reaches Cronofy before the exchange: the exchange makes a new authorization
    expect((await revoked).outcome).toBe('revoked');
    exchange.release();
    expect((await signingIn).status).toBe(302);
    expect(calls('/v1/userinfo')).toHaveLength(1);
    await agent.get('/calendars').expect(200);
    expect(h.emulator.control.liveGrants().filter((g) => g.sub === sub)).toHaveLength(1);
    expect(await unheldGrants()).toEqual([]);
  });

  it('a sign-in with no revoke of its account on the wire makes no extra call', async () => {
    expect((await connectThrough(h.agent(), { separateAccount: true })).status).toBe(302);
    expect(calls('/v1/userinfo')).toEqual([]);
  });
});

describe('checking the token answer', () => {
  it('M6: revokes a token with an absurd expires_in and shows a clear page', async () => {
    const absurd = await startHarness({ now: () => clock, emulator: { accessTokenTtl: 1e13 } });
    try {
      const res = await connectThrough(absurd.agent());
      expect(res.status).toBe(502);
      expect(res.text).toContain('impossible lifetime');
      expect(absurd.emulator.control.liveGrants()).toEqual([]);
    } finally {
      await absurd.close();
    }
  });

  it('M6: revokes a calendar token that came back from an organization flow', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/organization').expect(302);
    const authorize = new URL(start.headers.location as string);
    authorize.searchParams.set('scope', 'read_account list_calendars'); // what a confused or hostile provider grants
    const back = await consent(authorize.toString());
    const res = await agent.get(pathOf(back));
    expect(res.status).toBe(502);
    expect(res.text).toContain('another kind of connection');
    expect(h.emulator.control.liveGrants()).toEqual([]);
    expect((await agent.get('/organization')).text).not.toContain('Evenitron');
  });
});

describe('the pending-flow binding', () => {
  it('M7: a flow prepared in a session an attacker planted cannot complete after the victim connects', async () => {
    const attacker = h.agent();
    const planted = await attacker.get('/connect/individual').expect(302);
    const plantedCookie = sessionCookie(planted);
    const attackersReturn = await consent(planted.headers.location as string, { account: 'Microsoft' });

    // The victim's browser carries the planted cookie, and the victim connects their own calendar.
    const start = await request(h.app).get('/connect/individual').set('Cookie', plantedCookie).expect(302);
    const back = await consent(start.headers.location as string, { account: 'Google' });
    const done = await request(h.app).get(pathOf(back)).set('Cookie', plantedCookie).expect(302);
    const victimCookie = sessionCookie(done);

    const hijack = await request(h.app).get(pathOf(attackersReturn)).set('Cookie', victimCookie);
    expect(hijack.status).toBe(400);
    const session = (await sessionData(h.redis, victimCookie))!;
    const held = (await h.redis.get(`cronofy-connect:connection:${session.connections!.individual!}`))!;
    expect(held).toContain('avery.quinn@northwind.example');
  });
});

describe('GET /permissions/callback', () => {
  it('M8: a forged error=access_denied does not lose the pending request: the real approval still completes', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { account: 'Google' })).status).toBe(302);
    const ids = parse((await agent.get('/permissions').expect(200)).text)
      .querySelectorAll('input[name="calendar_id"]')
      .map((i) => i.getAttribute('value')!);
    const csrf = await csrfTokenFrom(agent, '/permissions');
    const res = await agent.post('/permissions').type('form').send(`_csrf=${encodeURIComponent(csrf)}&calendar_id=${encodeURIComponent(ids[0]!)}`).expect(302);
    const approval = new URL(res.headers.location as string);

    // A third party sends the victim to the return URL first.
    const forged = await agent.get('/permissions/callback?error=access_denied').expect(200);
    expect(forged.text).not.toContain('Unrestricted access granted');

    const back = await submitForm(approval.toString(), await (await fetch(approval)).text(), 'Allow');
    const result = await agent.get(pathOf(back)).expect(200);
    expect(result.text).toContain('Unrestricted access granted');
  });
});
