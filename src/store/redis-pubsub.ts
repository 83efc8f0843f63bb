// Pub/sub for the store, in every mode. Each process holds one subscription for its whole life,
// opened at start on connections of its own that never carry another command (a connection in
// subscriber mode refuses them: "only (P|S)SUBSCRIBE / ... are allowed in this context"), and
// hands each message to the local listeners of its channel.
// - One server, Sentinel: PSUBSCRIBE cronofy-connect:* on a duplicate connection; PUBLISH.
//   Subscribing and unsubscribing per channel would toggle that connection in and out of
//   subscriber mode under load, and ioredis then refuses commands: the refresh-storm benchmark
//   across two instances hit that.
// - Cluster: sharded pub/sub (Redis 7), so a message stays within the shard that owns its channel
//   instead of crossing the whole cluster bus. Sharded channels take no patterns, so the app's
//   channels map onto BUCKETS fixed sharded channels (cronofy-connect:bus:{n}); each process
//   subscribes to all of them once (SSUBSCRIBE, on ioredis's connection per shard) and a message
//   carries its channel: SPUBLISH cronofy-connect:bus:{n} "<channel>\n<message>".
// - When the subscription is established again (a reconnect, a failover), messages may have been
//   missed meanwhile: every listener is then called once with MISSED_MESSAGES, so it checks again.
import { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import { closeRedis, commandTimeoutOf, openDedicated, readyWithin, type RedisClient } from './redis';

/** Every channel the app publishes on starts with this. */
export const CHANNEL_PREFIX = 'cronofy-connect:';
/** What listeners hear when messages may have been lost (the subscription was re-established). */
export const MISSED_MESSAGES = '';
const BUCKETS = 16;
/** How long a subscribe waits for the cluster subscriber to connect (it queues nothing meanwhile). */
const SUBSCRIBER_READY_MS = 2000;

export interface PubSub {
  publish(channel: string, message: string): Promise<unknown>;
  /** Resolves once messages on `channel` (which starts with CHANNEL_PREFIX) reach `onMessage`; the returned function stops them. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => void>;
  close(): Promise<void>;
}

export function createPubSub(client: RedisClient): PubSub {
  const listeners = new Map<string, Set<(message: string) => void>>();
  const deliver = (channel: string, message: string) => {
    for (const listener of listeners.get(channel) ?? []) listener(message);
  };
  const everyoneCheckAgain = () => {
    for (const channel of listeners.keys()) deliver(channel, MISSED_MESSAGES);
  };
  const subscription = client instanceof Cluster ? shardedSubscription(client, deliver, everyoneCheckAgain) : patternSubscription(client, deliver, everyoneCheckAgain);
  // Subscribed from the start, so the first request that waits finds it in place (a failure here
  // is retried by the first subscribe()).
  subscription.open().catch(() => undefined);

  return {
    publish: subscription.publish,
    async subscribe(channel, onMessage) {
      await subscription.open();
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(onMessage);
      return () => {
        set.delete(onMessage);
        if (set.size === 0 && listeners.get(channel) === set) listeners.delete(channel);
      };
    },
    close: () => subscription.close(),
  };
}

interface Subscription {
  publish(channel: string, message: string): Promise<unknown>;
  /** Subscribes once; later calls share that (a failed attempt is retried by the next call). */
  open(): Promise<unknown>;
  close(): Promise<void>;
}

type Deliver = (channel: string, message: string) => void;

function patternSubscription(client: Redis, deliver: Deliver, resubscribed: () => void): Subscription {
  const pattern = `${CHANNEL_PREFIX}*`;
  const subscriber = openDedicated(client, { autoResubscribe: false });
  subscriber.on('error', () => undefined); // the command connection reports outages
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => deliver(channel, message));
  let opened: Promise<unknown> | undefined;
  return {
    publish: (channel, message) => client.publish(channel, message),
    open() {
      opened ??= subscriber.psubscribe(pattern).then(
        () => {
          // Every later 'ready' is a reconnection: subscribe again, then let everyone check.
          subscriber.on('ready', () => void subscriber.psubscribe(pattern).then(resubscribed, () => undefined));
        },
        (err: unknown) => {
          opened = undefined;
          throw err;
        },
      );
      return opened;
    },
    close: () => closeRedis(subscriber),
  };
}

function shardedSubscription(client: Cluster, deliver: Deliver, resubscribed: () => void): Subscription {
  const buckets = Array.from({ length: BUCKETS }, (_, n) => `${CHANNEL_PREFIX}bus:{${n}}`);
  const subscriber = openDedicated(client, {}, { shardedSubscribers: true });
  subscriber.on('error', () => undefined);
  subscriber.on('smessage', (_bucket: string, framed: string) => {
    const newline = framed.indexOf('\n');
    if (newline > 0) deliver(framed.slice(0, newline), framed.slice(newline + 1));
  });
  let opened: Promise<unknown> | undefined;
  return {
    publish: (channel, message) => client.spublish(buckets[bucketOf(channel)]!, `${channel}\n${message}`),
    open() {
      // Each bucket is its own slot: one SSUBSCRIBE each (ioredis refuses channels of several slots).
      opened ??= readyWithin(subscriber, Math.max(SUBSCRIBER_READY_MS, commandTimeoutOf(client)))
        .then(() => Promise.all(buckets.map((bucket) => subscriber.ssubscribe(bucket))))
        .then(
          () => subscriber.on('subscribersReady', resubscribed),
          (err: unknown) => {
            opened = undefined;
            throw err;
          },
        );
      return opened;
    },
    close: () => closeRedis(subscriber),
  };
}

/** A stable bucket for a channel (FNV-1a): publisher and subscribers agree without talking. */
function bucketOf(channel: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < channel.length; i++) hash = Math.imul(hash ^ channel.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % BUCKETS;
}
