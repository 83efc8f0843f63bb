// The revocation worker against a sign-in of the same account (decision 010, in-flight.ts): either
// the worker finds its job cancelled and sends nothing, or the sign-in sees its mark and waits for
// the answer. Real Redis, the emulator over HTTP; the worker is stopped between its steps by a gate
// around the mark, not by time.
import { randomBytes } from 'node:crypto';
import { startEmulator, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, type RunningEmulator } from '../../src/emulator';
import { createCronofyClient } from '../../src/cronofy/client';
import { createRevokesInFlight, type RevokesInFlight } from '../../src/revocation/in-flight';
import { createRevocationQueue } from '../../src/revocation/queue';
import { createRevoker, type RevocationEvent } from '../../src/revocation/revoker';
import { createRedis, oneServer, redisReady, type RedisClient } from '../../src/store/redis';
import { createRedisStore } from '../../src/store/redis-kv';
import { createLogger } from '../../src/web/logging';
import { REDIS_URL, TEST_REDIS_COMMAND_TIMEOUT_MS } from '../support/harness';

const logger = createLogger('silent');
let emulator: RunningEmulator;
let redis: RedisClient;
let kv: ReturnType<typeof createRedisStore>;

beforeAll(async () => {
  emulator = await startEmulator({ rateLimit: false });
  redis = createRedis(oneServer(REDIS_URL), logger, { commandTimeoutMs: TEST_REDIS_COMMAND_TIMEOUT_MS });
  kv = createRedisStore(redis);
  await redisReady(redis);
});
afterAll(async () => {
  await kv.close();
  redis.disconnect();
  await emulator.close();
});

/** A worker whose every mark, once written, waits for `open()` before the worker goes on. */
function gatedWorker() {
  const namespace = `test-${randomBytes(6).toString('hex')}`;
  let clock = Date.now();
  const queue = createRevocationQueue({ kv, namespace, now: () => clock, retryBaseMs: 1 });
  const inFlight = createRevokesInFlight({ kv, namespace, callMs: 10_000 });
  let marked!: () => void;
  const hasMarked = new Promise<void>((resolve) => (marked = resolve));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const gated: RevokesInFlight = {
    ...inFlight,
    async begin(dataCenter, sub) {
      const answered = await inFlight.begin(dataCenter, sub);
      marked();
      await gate;
      return answered;
    },
  };
  const events: RevocationEvent[] = [];
  const client = createCronofyClient({ hosts: { appUrl: emulator.url, apiUrl: emulator.url }, clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET, timeoutMs: 10_000 });
  const revoker = createRevoker({ queue, inFlight: gated, clientFor: () => client, logger, onSettled: (event) => events.push(event) });
  const queueRevokeBySub = async (sub: string) => {
    await queue.add({ data_center: 'us', target: { sub }, sub, reason: 'invalid_grant on refresh' });
    clock += 60_000; // due
  };
  return { queue, inFlight, revoker, hasMarked, open, events, queueRevokeBySub };
}

const revokeCalls = () => emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke');

beforeEach(() => emulator.control.reset());

describe('a queued revoke of an account that signs in again', () => {
  it('cancelled after the worker marked it but before it was sent: nothing is sent', async () => {
    const { queue, inFlight, revoker, hasMarked, open, events, queueRevokeBySub } = gatedWorker();
    const sub = `acc_${randomBytes(6).toString('hex')}`;
    await queueRevokeBySub(sub);
    const working = revoker.runDue();
    await hasMarked; // claimed and marked, not read again yet
    expect(await queue.cancelFor('us', sub)).toEqual(['invalid_grant on refresh']); // the sign-in cancels...
    open();
    expect(await working).toBe(1);
    expect(revokeCalls()).toEqual([]);
    expect(events).toEqual([{ reason: 'invalid_grant on refresh', outcome: 'cancelled' }]);
    expect(await inFlight.lately('us', sub)).toBe(true); // ...and would have seen the mark anyway
  });

  it('sent before the sign-in cancelled it: the sign-in waits for its answer, then learns it may have ended the new grant', async () => {
    const { queue, inFlight, revoker, hasMarked, open, events, queueRevokeBySub } = gatedWorker();
    const sub = `acc_${randomBytes(6).toString('hex')}`;
    await queueRevokeBySub(sub);
    const held = emulator.control.hold('/oauth/token/revoke', { method: 'POST' });
    const working = revoker.runDue();
    await hasMarked;
    open();
    expect((await held.arrived).body).toEqual(expect.objectContaining({ sub }));
    await queue.cancelFor('us', sub); // too late: already on the wire
    const signIn = inFlight.lately('us', sub).then((lately) => ({ lately, settledBefore: [...events] }));
    held.release();
    await working;
    expect(events).toEqual([{ reason: 'invalid_grant on refresh', outcome: 'revoked' }]);
    // It went on only once the worker had Cronofy's answer, and knows the revoke may have ended its grant.
    expect(await signIn).toEqual({ lately: true, settledBefore: events });
  });

  it('an account with no revoke marked: nothing to wait for', async () => {
    const { inFlight } = gatedWorker();
    expect(await inFlight.lately('us', `acc_${randomBytes(6).toString('hex')}`)).toBe(false);
  });
});
