// The durable revocation queue: every grant the app lets go of and could not revoke at once.
// - A job is its own Redis key (sealed JSON: data center, token or sub, attempts) plus a member of
//   one sorted set scored by when it is next due; both survive an app restart.
// - Any instance may work a due job; it claims it first (SET NX PX), so one instance calls Cronofy.
// - Back-off: RETRY_BASE × 2^attempts, at most MAX_DELAY; a job older than MAX_AGE is dropped with
//   an error log (the grant has very likely lapsed at Cronofy by then).
// - Jobs of a known Cronofy account (`sub`) are listed under that account, so that signing in to it
//   again cancels them (decision 010): Cronofy keeps one authorization per account, and the app
//   holds it again. A cancelled job is deleted even while a worker is trying it; that worker's
//   retry then finds it gone and does not put it back.
import { createHash, randomBytes } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { KeyValueStore } from '../store/kv';
import { open, seal } from '../store/seal';

export type RevocationTarget = { token: string } | { sub: string };

export interface RevocationJob {
  id: string;
  data_center: DataCenter;
  target: RevocationTarget;
  /** The Cronofy account the grant belongs to, when known. */
  sub?: string;
  /** Why the grant is let go of (logs only): "disconnect", "replaced", "lost refresh answer", … */
  reason: string;
  attempts: number;
  created_at: number;
}

export interface RevocationQueueOptions {
  kv: KeyValueStore;
  /** Names this application's queue (identity.ts applicationKey): jobs go to the Cronofy they came from. */
  namespace: string;
  now: () => number;
  encryptionKey?: Buffer;
  retryBaseMs?: number;
  maxDelayMs?: number;
}

export const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/** Names a Cronofy account in key names: a hash, since a sub is personal data and key names show up in tools. */
export const accountKeyPart = (dataCenter: DataCenter, sub: string): string =>
  createHash('sha256').update(JSON.stringify([dataCenter, sub])).digest('hex').slice(0, 32);
const CLAIM_TTL_MS = 60_000;
/** Job ids kept per account: far more than one account ever has pending. */
const MAX_JOBS_PER_ACCOUNT = 20;

/** After a failed try: retried later, dropped (too old), or found cancelled meanwhile. */
export type RetryOutcome = 'retry' | 'dropped' | 'cancelled';

export function createRevocationQueue({ kv, namespace, now, encryptionKey, retryBaseMs = 5_000, maxDelayMs = 60 * 60_000 }: RevocationQueueOptions) {
  const JOB_PREFIX = `cronofy-connect:revoke:${namespace}:job:`;
  const CLAIM_PREFIX = `cronofy-connect:revoke:${namespace}:claim:`;
  const REVOKE_SCHEDULE = `cronofy-connect:revoke:${namespace}:due`;
  const accountKey = (dataCenter: DataCenter, sub: string) => `cronofy-connect:revoke:${namespace}:account:${accountKeyPart(dataCenter, sub)}`;
  /** What each claimed job was read as, so a retry replaces exactly that and nothing newer. */
  const readAs = new WeakMap<RevocationJob, string>();
  const delayAfter = (attempts: number) => Math.min(maxDelayMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30));

  return {
    /** Queues a revoke that has already failed once; due after the first back-off. */
    async add(job: Omit<RevocationJob, 'id' | 'attempts' | 'created_at'>): Promise<RevocationJob> {
      const full: RevocationJob = { ...job, id: randomBytes(12).toString('hex'), attempts: 1, created_at: now() };
      // Three keys in three slots of a Cluster, so no transaction: written in the order that leaves
      // nothing unworked if the process dies between two writes. An id listed or scheduled without
      // its job is skipped and cleared (cancelFor, claim); a job nobody schedules would never run.
      if (full.sub !== undefined) await kv.pushBounded(accountKey(full.data_center, full.sub), full.id, MAX_JOBS_PER_ACCOUNT, MAX_AGE_MS);
      await kv.schedule(REVOKE_SCHEDULE, full.id, now() + delayAfter(1));
      await kv.set(JOB_PREFIX + full.id, seal(JSON.stringify(full), encryptionKey), MAX_AGE_MS);
      return full;
    },

    /** Deletes every pending job of this account (also one a worker is trying); returns why each was queued. */
    async cancelFor(dataCenter: DataCenter, sub: string): Promise<string[]> {
      const reasons: string[] = [];
      for (const id of await kv.list(accountKey(dataCenter, sub))) {
        const raw = await kv.take(JOB_PREFIX + id);
        if (raw === null) continue;
        await kv.unschedule(REVOKE_SCHEDULE, id);
        try {
          reasons.push((JSON.parse(open(raw, encryptionKey)) as RevocationJob).reason);
        } catch {
          reasons.push('unreadable job');
        }
      }
      return reasons;
    },

    /** Due job ids, soonest first. */
    due: (limit: number): Promise<string[]> => kv.due(REVOKE_SCHEDULE, now(), limit),

    /** The job, if this caller won it; release with done() or retryLater(). */
    async claim(id: string, holder: string): Promise<RevocationJob | null> {
      if (!(await kv.setIfAbsent(CLAIM_PREFIX + id, holder, CLAIM_TTL_MS))) return null;
      const raw = await kv.get(JOB_PREFIX + id);
      if (raw === null) {
        await kv.unschedule(REVOKE_SCHEDULE, id);
        await kv.delIfEquals(CLAIM_PREFIX + id, holder);
        return null;
      }
      try {
        const job = JSON.parse(open(raw, encryptionKey)) as RevocationJob;
        readAs.set(job, raw);
        return job;
      } catch {
        await kv.delIfEquals(CLAIM_PREFIX + id, holder);
        throw new Error(`queued revocation ${id} cannot be read (TOKEN_ENCRYPTION_KEY changed?)`);
      }
    },

    /** False once the job was cancelled (the account signed in again) or is done. */
    async isQueued(job: RevocationJob): Promise<boolean> {
      return (await kv.get(JOB_PREFIX + job.id)) !== null;
    },

    async done(job: RevocationJob, holder: string): Promise<void> {
      await kv.unschedule(REVOKE_SCHEDULE, job.id);
      await kv.del(JOB_PREFIX + job.id);
      await kv.delIfEquals(CLAIM_PREFIX + job.id, holder);
    },

    /** Counts the failed attempt and schedules the next, unless the job is too old or was cancelled meanwhile. */
    async retryLater(job: RevocationJob, holder: string): Promise<RetryOutcome> {
      if (now() - job.created_at > MAX_AGE_MS) {
        await this.done(job, holder);
        return 'dropped';
      }
      const next = { ...job, attempts: job.attempts + 1 };
      const raw = readAs.get(job);
      const kept = raw !== undefined && (await kv.replaceIfPrefix(JOB_PREFIX + job.id, raw, seal(JSON.stringify(next), encryptionKey)));
      if (kept) await kv.schedule(REVOKE_SCHEDULE, job.id, now() + delayAfter(next.attempts));
      else await kv.unschedule(REVOKE_SCHEDULE, job.id); // cancelled while this try was on the wire
      await kv.delIfEquals(CLAIM_PREFIX + job.id, holder);
      return kept ? 'retry' : 'cancelled';
    },
  };
}

export type RevocationQueue = ReturnType<typeof createRevocationQueue>;
