// Counts the app's Redis commands that fail (error reply, command timeout, connection lost), by
// command name, for every user of one ioredis client: sessions, rate limits and the app's store.
// ioredis has no per-command event, so this wraps the client's sendCommand, through which every
// command (auto-pipelined ones included) passes; a command re-sent after a reconnect counts once.
import type Redis from 'ioredis';
import type { Metrics } from './registry';

type Sent = Parameters<Redis['sendCommand']>[0];

export function countRedisErrors(redis: Redis, metrics: Metrics): void {
  const seen = new WeakSet<Sent>();
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: Sent, ...rest: unknown[]) => {
    if (!seen.has(command)) {
      seen.add(command);
      command.promise.catch(() => metrics.redisCommandError(command.name.toLowerCase()));
    }
    return (send as (command: Sent, ...rest: unknown[]) => ReturnType<Redis['sendCommand']>)(command, ...rest);
  };
}
