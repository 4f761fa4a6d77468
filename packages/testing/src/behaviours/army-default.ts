import { contentText, systemText } from '../request-text.js';
import type { MessageRequest } from '../wire-types.js';
import { requestedPlanShape } from './army-plan.js';
import type { DemoRole } from './demo-responders.js';

/**
 * The role of a request that a haiku-army run sends, for the fake's default
 * behaviour (SIMULATED): with no responders, route or default responder set,
 * `startFakeAnthropic()` answers the orchestrator's planner (a request whose
 * output schema is the army's Plan), its synthesizer (a system prompt naming
 * the synthesizer of a haiku-army run) and the workers it briefs (the
 * `submit_result` tool and a brief carrying the demo's `root:` / `files:`
 * lines) with the demo behaviours, so `createArmy` runs end to end offline.
 * Anything else gets the one-sentence reply. Narrow on purpose: a plain
 * request, or a worker of a test's own, never changes behaviour.
 */
export function armyDefaultRole(request: MessageRequest): DemoRole | undefined {
  if (requestedPlanShape(request) !== 'draft') return 'planner';
  const system = systemText(request);
  if (/\bsynthesizer of a haiku-army run\b/i.test(system)) return 'synthesizer';
  const tools = request.tools ?? [];
  if (!tools.some((tool) => (tool as { name?: string }).name === 'submit_result')) return undefined;
  const first = request.messages[0];
  const brief = first ? contentText(first.content) : '';
  return /^\s*(root|files):/im.test(brief) ? 'worker' : undefined;
}
