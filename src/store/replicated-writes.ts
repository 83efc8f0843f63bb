// The writes that must survive a failover (docs/decisions/011-rotated-tokens-through-failover.md):
// made on connections of their own, each acknowledged by a replica before the caller goes on.
// - WAIT counts only the writes of the connection it is sent on, and blocks that connection while
//   it waits: hence a dedicated connection (in a cluster, one per node, and WAIT goes to the node
//   that took the write), never the connection pages share.
// - Group commit: a WAIT covers every write made before it on its connection. A caller gets a WAIT
//   sent after its write returned; callers arriving while one is out share the next, so at most two
//   are ever queued on a connection, however many writes wait.
// - Bounded: WAIT 1 <waitMs>. A primary with no replica connected (ROLE, read again every few
//   seconds, after a reconnection and whenever a WAIT comes back short) is not waited on.
// - Never failed for want of a replica: the write is on the primary, and there is nothing to undo
//   (Cronofy has already rotated the token). It is reported instead: `unreplicated`, with why.
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import { closeRedis, commandTimeoutOf, openDedicated, readyWithin, type RedisClient } from './redis';

export type ReplicationEvent =
  | { kind: 'unreplicated'; reason: 'no_replica' | 'timeout'; operation: string }
  /** A node's count of connected replicas changed; `previous` undefined: the first reading. */
  | { kind: 'replicas'; node: string; count: number; previous: number | undefined };

export interface ReplicatedWritesOptions {
  /** Longest WAIT for a replica's acknowledgement. */
  waitMs: number;
  /** How long a node's replica count is trusted before ROLE is asked again. */
  roleTtlMs?: number;
  report?: (event: ReplicationEvent) => void;
}

export interface ReplicatedWrites {
  /** The connection the writes go on (its commands route by key, as the app's client does). */
  readonly client: RedisClient;
  /** Runs `write` for `key` on the dedicated connection, then waits for a replica's acknowledgement. */
  write<T>(operation: string, key: string, write: (client: RedisClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** true: a replica acknowledged; false: the WAIT timed out; 'no_replica': none to wait for. */
type Acknowledgement = true | false | 'no_replica';

export function createReplicatedWrites(client: RedisClient, { waitMs, roleTtlMs = 5000, report }: ReplicatedWritesOptions): ReplicatedWrites {
  // Long enough for a write queued behind a WAIT, and for the WAIT itself.
  const overrides = { commandTimeout: commandTimeoutOf(client) + 2 * waitMs };
  const dedicated = openDedicated(client, overrides);
  dedicated.on('error', () => undefined); // the app's client reports outages
  const waits = new WeakMap<Redis, () => Promise<Acknowledgement>>();

  /** The connection that took a write to `key`: the dedicated one, or in a cluster its connection to the key's primary. */
  function nodeFor(key: string): { node: Redis; label: string } | undefined {
    if (!(dedicated instanceof Cluster)) return { node: dedicated, label: 'primary' };
    const owner = dedicated.slots[calculateSlot(key)]?.[0];
    const node = dedicated.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    return node && owner ? { node, label: owner } : undefined;
  }

  function acknowledgement(node: Redis, label: string): Promise<Acknowledgement> {
    let acknowledged = waits.get(node);
    if (!acknowledged) {
      acknowledged = groupCommit(node, waitMs, roleTtlMs, (count, previous) => report?.({ kind: 'replicas', node: label, count, previous }));
      waits.set(node, acknowledged);
    }
    return acknowledged();
  }

  return {
    client: dedicated,
    async write(operation, key, write) {
      if (dedicated instanceof Cluster) await readyWithin(dedicated); // a cluster client queues nothing while connecting
      const result = await write(dedicated);
      const target = nodeFor(key);
      const outcome = target ? await acknowledgement(target.node, target.label) : 'no_replica';
      if (outcome !== true) report?.({ kind: 'unreplicated', reason: outcome === false ? 'timeout' : outcome, operation });
      return result;
    },
    close: () => closeRedis(dedicated),
  };
}

/** For one connection: resolves once a WAIT sent after the call has returned (see the header). */
function groupCommit(node: Redis, waitMs: number, roleTtlMs: number, onCount: (count: number, previous: number | undefined) => void): () => Promise<Acknowledgement> {
  let replicas: { count: number; at: number } | undefined;
  let lastCount: number | undefined;
  /** The WAIT on the wire, if any. */
  let out: Promise<number> | undefined;
  /** The WAIT that goes out when `out` returns, shared by everyone who arrived meanwhile. */
  let queued: Promise<number> | undefined;
  node.on('ready', () => (replicas = undefined)); // connected again, perhaps to another server (a failover)

  async function replicaCount(): Promise<number> {
    if (replicas && Date.now() - replicas.at < roleTtlMs) return replicas.count;
    const role = (await node.role()) as [string, unknown, unknown[]?];
    const count = role[0] === 'master' ? (role[2]?.length ?? 0) : 0;
    if (count !== lastCount) onCount(count, lastCount);
    lastCount = count;
    replicas = { count, at: Date.now() };
    return count;
  }

  function send(): Promise<number> {
    queued = undefined;
    const sent = node.wait(1, waitMs);
    out = sent;
    const clear = () => {
      if (out === sent) out = undefined;
    };
    sent.then(clear, clear);
    return sent;
  }

  return async () => {
    if ((await replicaCount()) === 0) return 'no_replica';
    const acked = await (out ? (queued ??= out.then(send, send)) : send());
    if (acked < 1) replicas = undefined; // ask ROLE again next time: the replica may be gone
    return acked >= 1;
  };
}
