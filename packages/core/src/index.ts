export {
  defaultCatalog,
  getModel,
  listModels,
  ModelCatalog,
  type RegisterModelInput,
  registerModel,
} from './catalog/model-catalog.js';
export type {
  LongContextPricing,
  ModelInfo,
  ModelPrices,
  ModelTier,
  PricesPerMillion,
} from './catalog/model-info.js';
export { BUILT_IN_MODELS, CATALOG_AS_OF, type ModelSpec } from './catalog/models.js';
export * from './cost.js';
export * from './errors.js';
export * from './money.js';
export * from './token-estimate.js';
