import { ArmyError, defaultCatalog, ERROR_CODES, type ModelCatalog } from '@haiku-army/core';

/**
 * Resolves a model id through the catalog, naming the option it came from
 * when it is unknown. Returns the canonical id.
 */
export function resolveModel(
  catalog: ModelCatalog | undefined,
  model: unknown,
  where: string,
): string {
  const resolved = catalog ?? defaultCatalog;
  if (typeof model !== 'string' || model.length === 0) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`${where}\` to be a model id, got ${JSON.stringify(model)}.`,
    );
  }
  const info = resolved.find(model);
  if (!info) {
    throw new ArmyError(
      ERROR_CODES.UNKNOWN_MODEL,
      `Unknown model ${JSON.stringify(model)} in \`${where}\`; register it in the catalog or use one of: ${resolved.ids().join(', ')}.`,
    );
  }
  return info.id;
}

/** Checks a threshold is a number in [0, 1]. */
export function checkThreshold(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Expected \`${where}\` to be a number in [0, 1], got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}
