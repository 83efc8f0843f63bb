// Giving a grant back to Cronofy, so that no grant outlives its holder:
// - revoke() tries once at once; if Cronofy cannot be reached or errs, the revoke goes to the
//   durable queue and the caller learns it is "pending" (pages say so);
// - the worker, run by every app instance, retries due jobs with back-off until Cronofy confirms
//   (200; RFC 7009 makes an unknown token a success, so retries converge);
// - heldAgain(): the app holds this Cronofy account's authorization again (a sign-in): its pending
//   revokes are cancelled, because Cronofy keeps one authorization per account and application,
//   and revoking any token of it, or its sub, would end the connection just made (decision 010);
// - every revoke of a known account is marked while on the wire (in-flight.ts), and revokedLately()
//   tells a sign-in whether one may have reached Cronofy after its code exchange (the race that
//   cancelling cannot close: a revoke already sent).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CronofyClient } from '../cronofy/client';
import type { DataCenter } from '../cronofy/data-centers';
import type { RevokesInFlight } from './in-flight';
import type { RevocationJob, RevocationQueue, RevocationTarget } from './queue';

export type RevokeOutcome = 'revoked' | 'pending' | 'unqueued';

/** The grant being given back: where it lives, and whose it is when known (a token record's fields). */
export interface GrantOf {
  data_center: DataCenter;
  kind?: string;
  sub?: string;
}

export interface RevocationEvent {
  reason: string;
  /**
   * revoked: Cronofy confirmed; queued: the first try failed; retry: a queued try failed again;
   * dropped: given up; cancelled: the account was signed in again, so the app holds the grant.
   */
  outcome: 'revoked' | 'queued' | 'retry' | 'dropped' | 'cancelled';
}

export interface RevokerOptions {
  queue: RevocationQueue;
  inFlight: RevokesInFlight;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  logger: Logger;
  /** Told after each attempt (tests wait on it; nothing else needs it). */
  onSettled?: (event: RevocationEvent) => void;
}

const BATCH = 20;

export function createRevoker({ queue, inFlight, clientFor, logger, onSettled }: RevokerOptions) {
  const holder = randomBytes(8).toString('hex');

  /** Marks the account's revoke as on the wire; a mark that cannot be written never stops a revoke sent at once. */
  async function markSending(dataCenter: DataCenter, sub: string | undefined): Promise<(() => Promise<void>) | undefined> {
    if (sub === undefined) return undefined;
    return inFlight.begin(dataCenter, sub).catch((err: unknown) => {
      logger.warn({ err }, 'revoke not marked as on the wire; sending it anyway');
      return undefined;
    });
  }

  const answered = (done: (() => Promise<void>) | undefined) =>
    done?.().catch((err: unknown) => logger.warn({ err }, 'revoke not marked as answered; the mark expires by itself'));

  async function workJob(job: RevocationJob): Promise<void> {
    // Marked before the job is read again: a sign-in that cancels it meanwhile either stops this
    // try here or sees the mark (in-flight.ts). Without the mark, nothing is sent.
    const done = job.sub === undefined ? undefined : await inFlight.begin(job.data_center, job.sub);
    try {
      if (!(await queue.isQueued(job))) {
        await queue.done(job, holder);
        logger.info({ job: job.id, reason: job.reason }, 'queued revocation cancelled before it was sent: the account was signed in again');
        onSettled?.({ reason: job.reason, outcome: 'cancelled' });
        return;
      }
      try {
        await clientFor(job.data_center).revokeAuthorization(job.target);
        await queue.done(job, holder);
        logger.info({ job: job.id, reason: job.reason, attempts: job.attempts + 1 }, 'queued revocation confirmed by Cronofy');
        onSettled?.({ reason: job.reason, outcome: 'revoked' });
      } catch (err) {
        const outcome = await queue.retryLater(job, holder);
        if (outcome === 'retry') logger.warn({ err, job: job.id, reason: job.reason, attempts: job.attempts + 1 }, 'revoke failed again; retrying later');
        else if (outcome === 'dropped') logger.error({ job: job.id, reason: job.reason }, 'revoke still failing after 30 days; given up');
        else logger.info({ job: job.id, reason: job.reason }, 'queued revocation cancelled while it was tried: the account was signed in again');
        onSettled?.({ reason: job.reason, outcome });
      }
    } finally {
      await answered(done);
    }
  }

  async function runDue(): Promise<number> {
    let worked = 0;
    for (const id of await queue.due(BATCH)) {
      const job = await queue.claim(id, holder).catch((err: unknown) => {
        logger.error({ err, job: id }, 'queued revocation unreadable; left in the queue');
        return null;
      });
      if (!job) continue;
      worked++;
      await workJob(job);
    }
    return worked;
  }

  return {
    /** Logged at warn as "revoke failed" (kind, data center, reason; never a token) when Cronofy does not confirm. */
    async revoke(grant: GrantOf, target: RevocationTarget, reason: string): Promise<RevokeOutcome> {
      const { data_center: dataCenter, kind } = grant;
      const done = await markSending(dataCenter, 'sub' in target ? target.sub : grant.sub);
      try {
        await clientFor(dataCenter).revokeAuthorization(target);
        onSettled?.({ reason, outcome: 'revoked' });
        return 'revoked';
      } catch (err) {
        try {
          const sub = 'sub' in target ? target.sub : grant.sub;
          const job = await queue.add({ data_center: dataCenter, target, sub, reason });
          logger.warn({ err, kind, data_center: dataCenter, reason, job: job.id, queued: true }, 'revoke failed');
          onSettled?.({ reason, outcome: 'queued' });
          return 'pending';
        } catch (queueErr) {
          logger.warn({ err, kind, data_center: dataCenter, reason, queued: false }, 'revoke failed');
          logger.error({ err: queueErr, reason }, 'revoke could not be queued: a grant may stay live at Cronofy');
          return 'unqueued';
        }
      } finally {
        await answered(done);
      }
    },

    /** This account's authorization is held again (a sign-in): its queued revokes are cancelled. */
    async heldAgain(grant: GrantOf & { sub: string }): Promise<void> {
      for (const reason of await queue.cancelFor(grant.data_center, grant.sub)) {
        logger.info({ kind: grant.kind, data_center: grant.data_center, reason }, 'queued revocation cancelled: the account was signed in again');
        onSettled?.({ reason, outcome: 'cancelled' });
      }
    },

    /**
     * For a sign-in that holds this account's record and has cancelled its queued revokes: waits
     * while a revoke of the account is on the wire, and says whether one may have reached Cronofy
     * after the sign-in's code exchange (then the new grant must be checked).
     */
    revokedLately: (grant: GrantOf & { sub: string }): Promise<boolean> => inFlight.lately(grant.data_center, grant.sub),

    runDue,

    /**
     * Works the queue, then `alsoEachTick` (lapsed connections), every `pollMs` (default 5 s) until
     * `signal` aborts; `onTick` is told after each round (tests wait on it).
     */
    start(signal: AbortSignal, { pollMs = 5_000, alsoEachTick, onTick }: { pollMs?: number; alsoEachTick?: () => Promise<void>; onTick?: () => void } = {}): void {
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        if (signal.aborted) return;
        await runDue().catch((err: unknown) => logger.warn({ err }, 'revocation queue unavailable; trying again later'));
        await alsoEachTick?.().catch((err: unknown) => logger.warn({ err }, 'lapsed connections not swept; trying again later'));
        onTick?.();
        if (!signal.aborted) timer = setTimeout(() => void tick(), pollMs).unref();
      };
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
      timer = setTimeout(() => void tick(), pollMs).unref();
    },
  };
}

export type Revoker = ReturnType<typeof createRevoker>;
