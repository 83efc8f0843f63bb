// The durable revocation queue: every grant the app lets go of and could not revoke at once.
// - A job is its own Redis key (sealed JSON: data center, token or sub, attempts) plus a member of
//   one sorted set scored by when it is next due; both survive an app restart.
// - Any instance may work a due job; it claims it first (SET NX PX), so one instance calls Cronofy.
// - Back-off: RETRY_BASE × 2^attempts, at most MAX_DELAY; a job older than MAX_AGE is dropped with
//   an error log (the grant has very likely lapsed at Cronofy by then).
import { randomBytes } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { KeyValueStore } from '../store/kv';
import { open, seal } from './seal';

export type RevocationTarget = { token: string } | { sub: string };

export interface RevocationJob {
  id: string;
  data_center: DataCenter;
  target: RevocationTarget;
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
const CLAIM_TTL_MS = 60_000;

export function createRevocationQueue({ kv, namespace, now, encryptionKey, retryBaseMs = 5_000, maxDelayMs = 60 * 60_000 }: RevocationQueueOptions) {
  const JOB_PREFIX = `cronofy-connect:revoke:${namespace}:job:`;
  const CLAIM_PREFIX = `cronofy-connect:revoke:${namespace}:claim:`;
  const REVOKE_SCHEDULE = `cronofy-connect:revoke:${namespace}:due`;
  const write = (job: RevocationJob) => kv.set(JOB_PREFIX + job.id, seal(JSON.stringify(job), encryptionKey), MAX_AGE_MS);
  const delayAfter = (attempts: number) => Math.min(maxDelayMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30));

  return {
    /** Queues a revoke that has already failed once; due after the first back-off. */
    async add(job: Omit<RevocationJob, 'id' | 'attempts' | 'created_at'>): Promise<RevocationJob> {
      const full: RevocationJob = { ...job, id: randomBytes(12).toString('hex'), attempts: 1, created_at: now() };
      await write(full);
      await kv.schedule(REVOKE_SCHEDULE, full.id, now() + delayAfter(1));
      return full;
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
        return JSON.parse(open(raw, encryptionKey)) as RevocationJob;
      } catch {
        await kv.delIfEquals(CLAIM_PREFIX + id, holder);
        throw new Error(`queued revocation ${id} cannot be read (TOKEN_ENCRYPTION_KEY changed?)`);
      }
    },

    async done(job: RevocationJob, holder: string): Promise<void> {
      await kv.unschedule(REVOKE_SCHEDULE, job.id);
      await kv.del(JOB_PREFIX + job.id);
      await kv.delIfEquals(CLAIM_PREFIX + job.id, holder);
    },

    /** Counts the failed attempt and schedules the next; false when the job is too old and was dropped. */
    async retryLater(job: RevocationJob, holder: string): Promise<boolean> {
      if (now() - job.created_at > MAX_AGE_MS) {
        await this.done(job, holder);
        return false;
      }
      const next = { ...job, attempts: job.attempts + 1 };
      await write(next);
      await kv.schedule(REVOKE_SCHEDULE, job.id, now() + delayAfter(next.attempts));
      await kv.delIfEquals(CLAIM_PREFIX + job.id, holder);
      return true;
    },
  };
}

export type RevocationQueue = ReturnType<typeof createRevocationQueue>;
