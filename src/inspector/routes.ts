import { Router } from 'express';
import type { AppContext } from '../context';
import type { InspectorStep } from './inspector';

export interface FlowGroup {
  flow: string;
  steps: InspectorStep[];
}

/** Consecutive steps of the same flow, together. */
export function groupSteps(steps: InspectorStep[]): FlowGroup[] {
  const groups: FlowGroup[] = [];
  for (const step of steps) {
    const last = groups[groups.length - 1];
    if (last && last.flow === step.flow) last.steps.push(step);
    else groups.push({ flow: step.flow, steps: [step] });
  }
  return groups;
}

export function inspectorRoutes(ctx: AppContext): Router {
  const router = Router();
  if (!ctx.inspector.enabled) return router; // off: /inspector is a 404 like any unknown page
  router.get('/inspector', async (req, res) => {
    res.render('inspector', { groups: groupSteps(await ctx.inspector.timeline(req)) });
  });
  return router;
}
