import { ArmyError, ERROR_CODES, type ModelCatalog } from '@haiku-army/core';
import { resolveModel } from '../internal/models.js';
import type { Router, RouterSubtask } from '../router.js';

/** One rule of {@link rules}: it matches when any of its conditions holds. */
export interface RoutingRule {
  /** Shown in the pick's reason and in errors. @default `rule <n>` */
  name?: string;
  /** Words or phrases found in the brief, case-insensitive, on word boundaries. */
  keywords?: readonly string[];
  /** A regular expression tested on the brief (a string is compiled with `flags`). */
  pattern?: string | RegExp;
  /** Flags for a string `pattern`. @default 'i' */
  flags?: string;
  /** Matches when the subtask carries any of these tags. */
  tags?: readonly string[];
  /** The model to use when the rule matches. */
  model: string;
}

/** Options for {@link rules}. */
export interface RulesOptions {
  /** Tried in order; the first match wins. */
  rules: readonly RoutingRule[];
  /** The model when no rule matches. */
  default: string;
  /** Checks every model id. @default core's default catalog */
  catalog?: ModelCatalog;
  /** @default 'rules' */
  name?: string;
}

interface CompiledRule {
  name: string;
  model: string;
  test(subtask: RouterSubtask): boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(
  rule: RoutingRule,
  index: number,
  catalog: ModelCatalog | undefined,
): CompiledRule {
  const name = rule?.name ?? `rule ${index + 1}`;
  const where = `rules[${index}] ("${name}")`;
  if (!rule || typeof rule !== 'object') {
    throw new ArmyError(ERROR_CODES.INVALID_OPTIONS, `Expected ${where} to be a rule object.`);
  }
  const model = resolveModel(catalog, rule.model, `rules[${index}].model`);
  let pattern: RegExp | undefined;
  if (rule.pattern instanceof RegExp) pattern = rule.pattern;
  else if (rule.pattern !== undefined) {
    try {
      pattern = new RegExp(rule.pattern, rule.flags ?? 'i');
    } catch (error) {
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        `Invalid regular expression in ${where}: ${(error as Error).message}. Fix the pattern or use \`keywords\`.`,
        { cause: error },
      );
    }
  }
  const keywords = (rule.keywords ?? []).map(
    (keyword) => new RegExp(`(^|\\W)${escapeRegExp(keyword)}($|\\W)`, 'i'),
  );
  const tags = rule.tags ?? [];
  if (!pattern && keywords.length === 0 && tags.length === 0) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `${where} has no condition; give it \`keywords\`, \`pattern\` or \`tags\`.`,
    );
  }
  return {
    name,
    model,
    test(subtask) {
      if (pattern) {
        pattern.lastIndex = 0;
        if (pattern.test(subtask.brief)) return true;
      }
      if (keywords.some((keyword) => keyword.test(subtask.brief))) return true;
      return tags.some((tag) => subtask.tags?.includes(tag));
    },
  };
}

/**
 * Keyword, regex and tag rules on the brief: the first matching rule's model,
 * else the default. A bad regex fails at construction, naming its rule.
 *
 * @example
 * const router = rules({
 *   rules: [{ name: 'proofs', keywords: ['prove', 'derive'], model: 'claude-opus-5-5' }],
 *   default: 'claude-haiku-5-5',
 * });
 */
export function rules(options: RulesOptions): Router {
  if (!options || !Array.isArray(options.rules)) {
    throw new ArmyError(ERROR_CODES.INVALID_OPTIONS, 'Expected `rules` to be an array of rules.');
  }
  const compiled = options.rules.map((rule, index) => compile(rule, index, options.catalog));
  const fallback = resolveModel(options.catalog, options.default, 'default');
  return {
    name: options.name ?? 'rules',
    fingerprint: JSON.stringify({
      router: 'rules',
      rules: options.rules.map((rule, index) => ({
        model: compiled[index]!.model,
        keywords: rule.keywords ?? [],
        pattern:
          rule.pattern instanceof RegExp
            ? { source: rule.pattern.source, flags: rule.pattern.flags }
            : rule.pattern === undefined
              ? null
              : { source: rule.pattern, flags: rule.flags ?? 'i' },
        tags: rule.tags ?? [],
      })),
      default: fallback,
    }),
    async pick(subtask) {
      const match = compiled.find((rule) => rule.test(subtask));
      if (match)
        return { model: match.model, reason: `rule "${match.name}" matched -> ${match.model}` };
      return { model: fallback, reason: `no rule matched -> default ${fallback}` };
    },
  };
}
