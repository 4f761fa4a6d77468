import { createHash } from 'node:crypto';
import type { ModelCatalog, ModelGateway } from '@haiku-army/core';
import * as z from 'zod';
import { DEFAULT_ROUTER_CALL_MAX_TOKENS, DEFAULT_WEAK_MODEL } from '../constants.js';
import { messageText } from '../internal/message-text.js';
import { resolveModel } from '../internal/models.js';
import { COMPLEXITIES, type Complexity, type Router } from '../router.js';
import { resolveComplexityModels } from './complexity-map.js';

/** The instruction prefix the classifier sends (cached with `cache_control`). */
export const CLASSIFIER_INSTRUCTIONS = `You label the complexity of one subtask brief for a model router.
Reply with JSON only: {"complexity": "simple" | "moderate" | "complex", "reason": "<one short sentence>"}.

- simple: a lookup, extraction, reformatting, classification or short summary; one obvious step; the answer can be checked at a glance.
- moderate: a few dependent steps, some reasoning over the given material, light arithmetic, ordinary code reading or writing.
- complex: long multi-step reasoning, proofs, tricky arithmetic or algebra, design trade-offs, subtle bugs, anything where a plausible answer is often wrong.

Label the work the brief asks for, not its length. When unsure between two labels, pick the harder one.`;

const LABEL_SCHEMA = z.object({
  complexity: z.enum(COMPLEXITIES as [Complexity, ...Complexity[]]),
  reason: z.string().optional(),
});

/** Options for {@link classifier}. */
export interface ClassifierOptions {
  /** Where the classifier's own calls go (attributed with role `router`). */
  gateway: ModelGateway;
  /** The cheap model that labels briefs. @default 'claude-haiku-5-5' */
  model?: string;
  /** Label -> model, as in `complexityMap`. @default Haiku / Sonnet / Opus 5.5 */
  models?: Partial<Record<Complexity, string>>;
  /** The instruction prefix. @default CLASSIFIER_INSTRUCTIONS */
  instructions?: string;
  /** Output allowance of a classifier call, tokens. @default 200 */
  maxTokens?: number;
  /** Labels by brief hash; pass one to share labels between routers. @default a new Map */
  cache?: Map<string, Complexity>;
  /** Checks model ids. @default the gateway's catalog */
  catalog?: ModelCatalog;
  /** @default 'classifier' */
  name?: string;
}

/** A classifier router, with its label cache (keyed by the SHA-256 of the brief). */
export interface ClassifierRouter extends Router {
  readonly cache: ReadonlyMap<string, Complexity>;
}

/** The cache key of a brief. */
export function briefHash(brief: string): string {
  return createHash('sha256').update(brief).digest('hex');
}

/**
 * A cheap model labels each brief's complexity through structured output
 * (a cached instruction prefix, JSON schema output), and the label picks the
 * model as `complexityMap` does. Labels are cached per brief hash, and
 * concurrent picks of the same brief share one call. A reply that does not
 * parse falls back to the planner's label (or `moderate`) and is not cached.
 */
export function classifier(options: ClassifierOptions): ClassifierRouter {
  const catalog = options.catalog ?? options.gateway.catalog;
  const model = resolveModel(catalog, options.model ?? DEFAULT_WEAK_MODEL, 'model');
  const models = resolveComplexityModels(options.models, catalog, 'models');
  const instructions = options.instructions ?? CLASSIFIER_INSTRUCTIONS;
  const maxTokens = options.maxTokens ?? DEFAULT_ROUTER_CALL_MAX_TOKENS;
  const cache = options.cache ?? new Map<string, Complexity>();
  const pending = new Map<string, Promise<Complexity | undefined>>();

  async function label(
    brief: string,
    runId: string,
    taskId: string,
    signal: AbortSignal | undefined,
  ): Promise<Complexity | undefined> {
    const response = await options.gateway.call(
      {
        model,
        max_tokens: maxTokens,
        system: [{ type: 'text', text: instructions, cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: brief }],
        output_config: {
          format: { type: 'json_schema', schema: z.toJSONSchema(LABEL_SCHEMA) as never },
        },
      },
      { runId, taskId, role: 'router', tags: ['router:classifier'] },
      signal ? { signal } : {},
    );
    try {
      const parsed = LABEL_SCHEMA.safeParse(JSON.parse(messageText(response.message)));
      return parsed.success ? parsed.data.complexity : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    name: options.name ?? 'classifier',
    // What decides a label's model. The labels themselves are model output
    // (and may come from a shared `cache`): like the label cache within a
    // process, a reuse trusts the label the stored result was made with.
    fingerprint: JSON.stringify({
      router: 'classifier',
      model,
      models,
      instructions: briefHash(instructions),
      maxTokens,
    }),
    cache,
    async pick(subtask, context) {
      const key = briefHash(subtask.brief);
      let complexity = cache.get(key);
      let source = 'cached label';
      if (!complexity) {
        let call = pending.get(key);
        if (!call) {
          call = label(subtask.brief, context.runId, subtask.id, context.signal).finally(() =>
            pending.delete(key),
          );
          pending.set(key, call);
        }
        complexity = await call;
        source = 'classified';
        if (complexity) cache.set(key, complexity);
      }
      if (!complexity) {
        const fallback = subtask.complexity ?? 'moderate';
        return {
          model: models[fallback],
          reason: `classifier reply did not parse; "${fallback}" -> ${models[fallback]}`,
        };
      }
      return {
        model: models[complexity],
        reason: `${source} "${complexity}" -> ${models[complexity]}`,
      };
    },
  };
}
