import { systemText } from '../request-text.js';
import type { Responder, ResponderRoute } from '../responder.js';
import type { MessageRequest } from '../wire-types.js';
import { createPlannerResponder, type PlannerResponderOptions } from './planner-responder.js';
import {
  createSynthesizerResponder,
  type SynthesizerResponderOptions,
} from './synthesizer-responder.js';
import { createWorkerResponder, type WorkerResponderOptions } from './worker-responder.js';

/** The roles the demo behaviours know. */
export type DemoRole = 'planner' | 'worker' | 'synthesizer';

/**
 * Detects a request's role, in order: a `role: <name>` line in the system
 * prompt; `output_config.format` or a system prompt mentioning "planner" ->
 * planner; a system prompt mentioning "synthes" -> synthesizer; any tools ->
 * worker. Otherwise `undefined` (the per-model responder answers).
 */
export function detectRole(request: MessageRequest): DemoRole | undefined {
  const system = systemText(request);
  const explicit = /^\s*role:\s*(planner|worker|synthesizer)\b/im.exec(system)?.[1]?.toLowerCase();
  if (explicit) return explicit as DemoRole;
  if (request.output_config?.format || /\bplanner\b/i.test(system)) return 'planner';
  if (/synthes/i.test(system)) return 'synthesizer';
  if ((request.tools ?? []).length > 0) return 'worker';
  return undefined;
}

/** Options for {@link createDemoResponders}. */
export interface DemoRespondersOptions {
  /** Options of the simulated planner. @default {} */
  planner?: PlannerResponderOptions;
  /** Options of the simulated worker. @default {} */
  worker?: WorkerResponderOptions;
  /** Options of the simulated synthesizer. @default {} */
  synthesizer?: SynthesizerResponderOptions;
  /** Picks the role of a request. @default {@link detectRole} */
  route?: ResponderRoute;
}

/**
 * The default SIMULATED behaviours for the offline demo: a planner, a worker
 * and a synthesizer, routed by {@link detectRole}. Spread into the options.
 *
 * @example
 * const fake = await startFakeAnthropic({ ...createDemoResponders() });
 */
export function createDemoResponders(options: DemoRespondersOptions = {}): {
  responders: Record<DemoRole, Responder>;
  route: ResponderRoute;
} {
  return {
    responders: {
      planner: createPlannerResponder(options.planner),
      worker: createWorkerResponder(options.worker),
      synthesizer: createSynthesizerResponder(options.synthesizer),
    },
    route: options.route ?? detectRole,
  };
}
