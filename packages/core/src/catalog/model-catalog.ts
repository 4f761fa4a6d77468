import { ArmyError, ERROR_CODES, invalidOption } from '../errors.js';
import { perMillionToNanoPerToken } from '../money.js';
import type { ModelInfo, ModelPrices, ModelTier, PricesPerMillion } from './model-info.js';
import { BUILT_IN_MODELS, CATALOG_AS_OF, type ModelSpec } from './models.js';

/** Input to {@link ModelCatalog.register}: a new model, or prices/fields to override on a known one. */
export interface RegisterModelInput {
  id: string;
  aliases?: string[];
  tier?: ModelTier;
  displayName?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  minCacheableTokens?: number;
  /** US dollars per million tokens. Partial when overriding a known model. */
  prices?: Partial<PricesPerMillion>;
  /** Long-context pricing, or `null` to remove it. */
  longContext?: { thresholdTokens: number; prices: PricesPerMillion } | null;
}

const PRICE_KEYS = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const;
const TIERS: readonly ModelTier[] = ['haiku', 'sonnet', 'opus'];

function convertPrices(prices: PricesPerMillion, where: string): ModelPrices {
  const out = {} as ModelPrices;
  for (const key of PRICE_KEYS) {
    const value = prices[key];
    if (typeof value !== 'number')
      throw invalidOption(`${where}.${key}`, 'a number of US dollars per million tokens', value);
    try {
      out[key] = perMillionToNanoPerToken(value);
    } catch {
      throw invalidOption(
        `${where}.${key}`,
        'a non-negative multiple of $0.001 per million tokens',
        value,
      );
    }
  }
  return out;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidOption(name, 'an integer >= 1', value);
  }
  return value;
}

function fromSpec(spec: ModelSpec): ModelInfo {
  const info: ModelInfo = {
    id: spec.id,
    aliases: Object.freeze([...(spec.aliases ?? [])]),
    tier: spec.tier,
    displayName: spec.displayName,
    contextWindow: positiveInteger('contextWindow', spec.contextWindow),
    maxOutputTokens: positiveInteger('maxOutputTokens', spec.maxOutputTokens),
    minCacheableTokens: positiveInteger('minCacheableTokens', spec.minCacheableTokens),
    prices: convertPrices(spec.prices, 'prices'),
  };
  if (spec.longContext) {
    info.longContext = {
      thresholdTokens: positiveInteger(
        'longContext.thresholdTokens',
        spec.longContext.thresholdTokens,
      ),
      prices: convertPrices(spec.longContext.prices, 'longContext.prices'),
    };
  }
  return Object.freeze(info);
}

function toPerMillion(prices: ModelPrices): PricesPerMillion {
  const out = {} as PricesPerMillion;
  for (const key of PRICE_KEYS) out[key] = prices[key] / 1000;
  return out;
}

/** Options for {@link ModelCatalog}. */
export interface ModelCatalogOptions {
  /** The date the prices were read. @default CATALOG_AS_OF */
  asOf?: string;
  /** The models, as data. @default BUILT_IN_MODELS */
  models?: readonly ModelSpec[];
  /** An immutable catalog: `register()` throws; derive one with `with()`. @default false */
  frozen?: boolean;
}

/**
 * A set of models with their prices. The built-in {@link defaultCatalog}
 * holds every current Claude model and is immutable (shared by every gateway
 * and ledger in the process). For overrides, own a catalog: `new
 * ModelCatalog()` (mutable with `register()`) or `defaultCatalog.with(...)`
 * (a new catalog), and pass it as `catalog` to the gateway, ledger and rate
 * limiter.
 */
export class ModelCatalog {
  /** The date the built-in prices were read. */
  readonly asOf: string;
  /** True when `register()` is refused (the built-in catalog). */
  readonly frozen: boolean;
  readonly #models = new Map<string, ModelInfo>();
  readonly #aliases = new Map<string, string>();

  constructor(options: ModelCatalogOptions = {}) {
    this.asOf = options.asOf ?? CATALOG_AS_OF;
    for (const spec of options.models ?? BUILT_IN_MODELS) this.#put(fromSpec(spec));
    this.frozen = options.frozen ?? false;
  }

  /**
   * A new, caller-owned catalog: this one's models plus the given additions
   * or overrides. This catalog is not changed.
   *
   * @example
   * const catalog = defaultCatalog.with({ id: 'claude-haiku-5-5', prices: { input: 0.08 } });
   * const gateway = createGateway({ catalog, ledger: new CostLedger({ catalog }) });
   */
  with(...inputs: RegisterModelInput[]): ModelCatalog {
    const copy = new ModelCatalog({ asOf: this.asOf, models: [] });
    for (const info of this.#models.values()) copy.#put(info);
    for (const input of inputs) copy.register(input);
    return copy;
  }

  #put(info: ModelInfo): void {
    const previous = this.#models.get(info.id);
    if (previous) for (const alias of previous.aliases) this.#aliases.delete(alias);
    this.#models.set(info.id, info);
    for (const alias of info.aliases) this.#aliases.set(alias, info.id);
  }

  /** Resolves an id or alias; `undefined` when unknown. */
  find(idOrAlias: string): ModelInfo | undefined {
    return this.#models.get(idOrAlias) ?? this.#models.get(this.#aliases.get(idOrAlias) ?? '');
  }

  /** True when the id or alias is known. */
  has(idOrAlias: string): boolean {
    return this.find(idOrAlias) !== undefined;
  }

  /**
   * Resolves an id or alias.
   * @throws ArmyError `UNKNOWN_MODEL`, listing the known ids.
   */
  get(idOrAlias: string): ModelInfo {
    const found = this.find(idOrAlias);
    if (found) return found;
    throw new ArmyError(
      ERROR_CODES.UNKNOWN_MODEL,
      `Unknown model ${JSON.stringify(idOrAlias)}; add it with \`${this.frozen ? 'catalog.with()' : 'catalog.register()'}\` (and pass that catalog on) or use one of: ${this.ids().join(', ')}.`,
    );
  }

  /** Every canonical id, in catalog order. */
  ids(): string[] {
    return [...this.#models.keys()];
  }

  /** Every model, in catalog order. */
  list(): ModelInfo[] {
    return [...this.#models.values()];
  }

  /** Models of one tier, in catalog order. */
  byTier(tier: ModelTier): ModelInfo[] {
    return this.list().filter((model) => model.tier === tier);
  }

  /**
   * Adds a model, or overrides fields and prices of a known one (matched by id
   * or alias). Prices are US dollars per million tokens.
   *
   * @example
   * catalog.register({ id: 'claude-haiku-5-5', prices: { input: 0.08 } });
   */
  register(input: RegisterModelInput): ModelInfo {
    if (this.frozen) {
      throw new ArmyError(
        ERROR_CODES.INVALID_STATE,
        'This catalog is immutable (the built-in catalog is shared by the whole process); ' +
          'derive your own with `catalog.with({ id, ... })` or `new ModelCatalog()`, and pass it as `catalog`.',
      );
    }
    if (!input || typeof input.id !== 'string' || input.id.length === 0) {
      throw invalidOption('id', 'a non-empty model id', input?.id);
    }
    if (input.tier !== undefined && !TIERS.includes(input.tier)) {
      throw invalidOption('tier', `one of ${TIERS.join(', ')}`, input.tier);
    }
    const existing = this.find(input.id);
    if (!existing) {
      const missing = ['tier', 'contextWindow', 'maxOutputTokens', 'minCacheableTokens'].filter(
        (key) => input[key as keyof RegisterModelInput] === undefined,
      );
      const prices = input.prices ?? {};
      const missingPrices = PRICE_KEYS.filter((key) => prices[key] === undefined).map(
        (key) => `prices.${key}`,
      );
      if (missing.length + missingPrices.length > 0) {
        throw new ArmyError(
          ERROR_CODES.INVALID_OPTIONS,
          `Model ${JSON.stringify(input.id)} is new, so it needs ${[...missing, ...missingPrices].join(', ')}.`,
        );
      }
    }
    const base = existing;
    const spec: ModelSpec = {
      id: base?.id ?? input.id,
      aliases: input.aliases ?? [...(base?.aliases ?? [])],
      tier: (input.tier ?? base?.tier) as ModelTier,
      displayName: input.displayName ?? base?.displayName ?? input.id,
      contextWindow: (input.contextWindow ?? base?.contextWindow) as number,
      maxOutputTokens: (input.maxOutputTokens ?? base?.maxOutputTokens) as number,
      minCacheableTokens: (input.minCacheableTokens ?? base?.minCacheableTokens) as number,
      prices: { ...(base ? toPerMillion(base.prices) : {}), ...input.prices } as PricesPerMillion,
    };
    const longContext =
      input.longContext === null
        ? undefined
        : (input.longContext ??
          (base?.longContext
            ? {
                thresholdTokens: base.longContext.thresholdTokens,
                prices: toPerMillion(base.longContext.prices),
              }
            : undefined));
    if (longContext) spec.longContext = longContext;
    const info = fromSpec(spec);
    this.#put(info);
    return info;
  }
}

/** The built-in catalog, used when no catalog is passed. Immutable: derive your own with `with()`. */
export const defaultCatalog: ModelCatalog = new ModelCatalog({ frozen: true });

/**
 * Resolves a model id or alias in the default catalog.
 * @throws ArmyError `UNKNOWN_MODEL` listing the known ids.
 * @example getModel('claude-haiku-4-5-20251001').id === 'claude-haiku-4-5'
 */
export function getModel(idOrAlias: string): ModelInfo {
  return defaultCatalog.get(idOrAlias);
}

/**
 * A new catalog: the built-in models plus the given additions or overrides
 * (dollars per million tokens). Nothing global changes; pass the result as
 * `catalog` wherever prices are needed. See {@link ModelCatalog.with}.
 *
 * @example
 * const catalog = registerModel({ id: 'claude-haiku-5-5', prices: { input: 0.08 } });
 */
export function registerModel(...inputs: RegisterModelInput[]): ModelCatalog {
  return defaultCatalog.with(...inputs);
}

/** Every model in the default catalog. */
export function listModels(): ModelInfo[] {
  return defaultCatalog.list();
}
