import type { Router } from '../router-types.js';

/** The router of `workers: '<model id>'`: that model for the first attempt, no escalation. */
export function fixedModelRouter(model: string): Router {
  return {
    name: `fixed:${model}`,
    fingerprint: `fixed:${model}`,
    pick: async (_subtask, context) =>
      context.attempts.length === 0 ? { model, reason: `workers is ${model}` } : null,
  };
}
