import { ArmyError, ERROR_CODES, type ModelCatalog } from '@haiku-army/core';
import { DEFAULT_COMPLEXITY_MODELS } from '../constants.js';
import { resolveModel } from '../internal/models.js';
import { COMPLEXITIES, type Complexity, type Router } from '../router.js';

/** Options for {@link complexityMap}. */
export interface ComplexityMapOptions {
  /**
   * The model per label; any entry left out keeps its default.
   * @default { simple: 'claude-haiku-5-5', moderate: 'claude-sonnet-5-5', complex: 'claude-opus-5-5' }
   */
  models?: Partial<Record<Complexity, string>>;
  /** The label used when a subtask has none. @default 'moderate' */
  fallback?: Complexity;
  /** Checks every model id. @default core's default catalog */
  catalog?: ModelCatalog;
  /** @default 'complexity-map' */
  name?: string;
}

/** Resolves and checks a label -> model map (shared by `complexityMap` and `classifier`). */
export function resolveComplexityModels(
  models: Partial<Record<Complexity, string>> | undefined,
  catalog: ModelCatalog | undefined,
  where: string,
): Record<Complexity, string> {
  for (const label of Object.keys(models ?? {})) {
    if (!COMPLEXITIES.includes(label as Complexity)) {
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        `Unknown complexity label ${JSON.stringify(label)} in \`${where}\`; use ${COMPLEXITIES.join(', ')}.`,
      );
    }
  }
  // Defaults are checked too: a custom catalog may not hold them.
  const out = {} as Record<Complexity, string>;
  for (const label of COMPLEXITIES) {
    const model = models?.[label] ?? DEFAULT_COMPLEXITY_MODELS[label];
    out[label] = resolveModel(catalog, model, `${where}.${label}`);
  }
  return out;
}

/**
 * Maps the planner's complexity label to a model: Haiku 5.5 for simple,
 * Sonnet 5.5 for moderate, Opus 5.5 for complex, every entry overridable.
 *
 * @example
 * const router = complexityMap({ models: { moderate: 'claude-haiku-5-5' } });
 */
export function complexityMap(options: ComplexityMapOptions = {}): Router {
  const models = resolveComplexityModels(options.models, options.catalog, 'models');
  const fallback = options.fallback ?? 'moderate';
  if (!COMPLEXITIES.includes(fallback)) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`fallback\` to be one of ${COMPLEXITIES.join(', ')}, got ${JSON.stringify(fallback)}.`,
    );
  }
  return {
    name: options.name ?? 'complexity-map',
    fingerprint: JSON.stringify({ router: 'complexity-map', models, fallback }),
    async pick(subtask) {
      const label = subtask.complexity ?? fallback;
      const model = models[label] ?? models[fallback];
      const source = subtask.complexity
        ? `complexity "${label}"`
        : `no complexity label, so "${label}"`;
      return { model, reason: `${source} -> ${model}` };
    },
  };
}
