// What the app's Redis clients tell about themselves, counted (and logged where someone must act):
// - failed commands (error reply, command timeout, lost connection), by command name, for every
//   user of one client: sessions, rate limits and the app's store. ioredis has no per-command
//   event, so this wraps the client's sendCommand, through which every command (pipelined
//   ones included) passes, and each command's reject; a command re-sent after a reconnect counts once;
// - replication (decision 011): refresh-token writes no replica acknowledged, and replicas coming
//   and going.
import type { Logger } from 'pino';
import type { RedisClient } from '../store/redis';
import type { ReplicationEvent } from '../store/replicated-writes';
import type { Metrics } from './registry';

type Sent = Parameters<RedisClient['sendCommand']>[0];

export function countRedisErrors(redis: RedisClient, metrics: Metrics): void {
  const seen = new WeakSet<Sent>();
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: Sent, ...rest: unknown[]) => {
    if (!seen.has(command)) {
      seen.add(command);
      // Told through the command's own reject (no promise chained onto every command's promise).
      const reject = command.reject;
      command.reject = (err: Error) => {
        metrics.redisCommandError(command.name.toLowerCase());
        reject(err);
      };
    }
    return (send as (command: Sent, ...rest: unknown[]) => ReturnType<RedisClient['sendCommand']>)(command, ...rest);
  };
}

export function reportReplication(metrics: Metrics, logger: Logger): (event: ReplicationEvent) => void {
  return (event) => {
    if (event.kind === 'replicas') {
      const redis = { node: event.node, replicas: event.count };
      if (event.count > 0) logger.info({ redis }, 'redis replicas connected: refresh tokens are acknowledged by one before a refresh completes');
      else if (event.previous === undefined) logger.info({ redis }, 'redis primary has no replica: refresh tokens are as durable as the primary');
      else logger.warn({ redis }, 'redis primary lost its replicas: refresh tokens are written to the primary only until one returns');
      return;
    }
    metrics.redisUnreplicatedWrite(event.reason);
    if (event.reason === 'timeout') {
      logger.warn({ operation: event.operation }, 'no redis replica acknowledged a refresh-token write in time: it is on the primary only until replication catches up');
    }
  };
}
