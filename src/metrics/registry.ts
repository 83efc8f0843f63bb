// The app's Prometheus metrics: one registry per app instance (created by server.ts, or by
// createApp when none is given), passed in like the other dependencies; nothing at module level.
// - Labels are small fixed sets: a flow kind, an outcome, an endpoint template
//   ("GET /v1/calendars"), a status code, a Redis command name. Never an id, a token or a URL.
// - The rest of the app sees the functions below, not prom-client.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { CronofyCall } from '../cronofy/client';
import { endpointTemplate } from './endpoints';

export type FlowKind = 'individual' | 'organization' | 'enterprise' | 'permissions';
export type FlowOutcome = 'started' | 'connected' | 'declined' | 'failed';
export type RefreshOutcome = 'ok' | 'invalid_grant' | 'error';
export type RevocationOutcome = 'ok' | 'error';

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop, GC); on for the server process. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const flows = new Counter({
    name: 'cronofy_connect_flows_total',
    help: 'Connect and Extended Permissions flows by kind and outcome (started, connected, declined, failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'cronofy_connect_token_refreshes_total',
    help: 'Access token refreshes at Cronofy by outcome (ok, invalid_grant, error).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const revocations = new Counter({
    name: 'cronofy_connect_revocations_total',
    help: 'Authorizations revoked at Cronofy (disconnect, reconnect, tokens that could not be kept) by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const cronofyRequests = new Histogram({
    name: 'cronofy_connect_cronofy_request_duration_seconds',
    help: 'HTTP requests to Cronofy (each attempt), by endpoint template and status ("error": no answer).',
    labelNames: ['endpoint', 'status'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const unreplicated = new Counter({
    name: 'cronofy_connect_redis_unreplicated_writes_total',
    help: 'Writes of refresh tokens and refresh locks that no replica acknowledged, by reason (no_replica: none connected; timeout: WAIT ran out).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: 'cronofy_connect_redis_command_errors_total',
    help: 'Redis commands that failed (error reply, timeout, connection lost), by command.',
    labelNames: ['command'] as const,
    registers: [registry],
  });

  return {
    registry,
    flow(kind: FlowKind | 'unknown', outcome: FlowOutcome): void {
      flows.inc({ kind, outcome });
    },
    tokenRefresh(outcome: RefreshOutcome): void {
      refreshes.inc({ outcome });
    },
    revocation(outcome: RevocationOutcome): void {
      revocations.inc({ outcome });
    },
    cronofyCall(call: CronofyCall): void {
      cronofyRequests.observe({ endpoint: endpointTemplate(call.method, call.path), status: call.status === undefined ? 'error' : String(call.status) }, call.ms / 1000);
    },
    redisCommandError(command: string): void {
      redisErrors.inc({ command });
    },
    redisUnreplicatedWrite(reason: 'no_replica' | 'timeout'): void {
      unreplicated.inc({ reason });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
