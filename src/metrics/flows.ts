// cronofy_connect_flows_total: every request to a flow's start or return counts once, when its
// answer is sent.
// - The handler says what happened: flowOutcome(res, 'started' | 'connected' | 'declined'), and,
//   where the route alone does not tell, which flow it was: flowKind(res, kind).
// - A request that ends with no outcome said (an error page, a refusal, a crash) counts "failed";
//   a callback whose state was not recognised counts under kind "unknown".
// - flowNotCounted(res): the request neither ended its flow nor failed (a permissions return that
//   leaves the request pending, or one another return already finished): it counts nothing.
import type { RequestHandler, Response } from 'express';
import type { FlowKind, FlowOutcome, Metrics } from './registry';

const FLOW_ROUTES: Record<string, FlowKind | 'unknown'> = {
  'GET /connect/individual': 'individual',
  'GET /connect/organization': 'organization',
  'GET /connect/enterprise': 'enterprise',
  'GET /oauth/callback': 'unknown',
  'POST /permissions': 'permissions',
  'GET /permissions/callback': 'permissions',
};

interface FlowRecord {
  kind: FlowKind | 'unknown';
  outcomes: FlowOutcome[];
  notCounted?: boolean;
}

const recordOf = (res: Response): FlowRecord | undefined => res.locals.flowMetric as FlowRecord | undefined;

export function flowKind(res: Response, kind: FlowKind): void {
  const record = recordOf(res);
  if (record) record.kind = kind;
}

export function flowOutcome(res: Response, outcome: Exclude<FlowOutcome, 'failed'>): void {
  recordOf(res)?.outcomes.push(outcome);
}

export function flowNotCounted(res: Response): void {
  const record = recordOf(res);
  if (record) record.notCounted = true;
}

/** Mounted before the flow routes: opens the record, counts it when the answer is sent or dropped. */
export function countFlows(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const kind = FLOW_ROUTES[`${req.method} ${req.path}`];
    if (kind === undefined) return next();
    const record: FlowRecord = { kind, outcomes: [] };
    res.locals.flowMetric = record;
    let counted = false;
    const count = () => {
      if (counted || record.notCounted) return;
      counted = true;
      if (record.outcomes.length === 0) metrics.flow(record.kind, 'failed');
      for (const outcome of record.outcomes) metrics.flow(record.kind, outcome);
    };
    res.once('finish', count);
    res.once('close', count);
    next();
  };
}
