// GET /inspector: this browser session's flow timeline, grouped by flow.
import { Router } from 'express';
import type { Inspector, InspectorStep } from '../inspector/inspector';

interface FlowGroup {
  flow: string;
  steps: InspectorStep[];
}

/** Consecutive steps of the same flow, together. */
function groupSteps(steps: InspectorStep[]): FlowGroup[] {
  const groups: FlowGroup[] = [];
  for (const step of steps) {
    const last = groups[groups.length - 1];
    if (last && last.flow === step.flow) last.steps.push(step);
    else groups.push({ flow: step.flow, steps: [step] });
  }
  return groups;
}

export function inspectorRoutes(inspector: Inspector): Router {
  const router = Router();
  if (!inspector.enabled) return router; // off: /inspector is a 404 like any unknown page
  router.get('/inspector', async (req, res) => {
    res.render('inspector', { groups: groupSteps(await inspector.timeline(req)) });
  });
  return router;
}
