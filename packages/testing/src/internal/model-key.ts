import { ArmyError, ERROR_CODES, type ModelCatalog } from '@haiku-army/core';

/**
 * The canonical id of a model named as a key of an option (`limits`,
 * `latency.models`, `models`), so an alias configures the same model as its
 * id. An unknown model is a caller mistake, reported with the option's name
 * rather than silently never matching.
 */
export function canonicalModel(catalog: ModelCatalog, option: string, id: string): string {
  const info = catalog.find(id);
  if (info) return info.id;
  throw new ArmyError(
    ERROR_CODES.UNKNOWN_MODEL,
    `Unknown model ${JSON.stringify(id)} in \`${option}\`; add it to \`catalog\` or use one of: ${catalog.ids().join(', ')}.`,
  );
}
