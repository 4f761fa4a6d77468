export {
  CROSS_VALIDATION_FOLDS,
  DEFAULT_COMPLEXITY_MODELS,
  DEFAULT_EVAL_OUTPUT_TOKENS,
  DEFAULT_LADDER,
  DEFAULT_NOTE_MAX_CHARS,
  DEFAULT_ROUTER_CALL_MAX_TOKENS,
  DEFAULT_STRONG_MODEL,
  DEFAULT_WEAK_MODEL,
} from './constants.js';
export {
  averagePerformanceGapRecovered,
  type CurveInput,
  type CurvePoint,
  callPerformanceThreshold,
  scoreCurve,
} from './evaluation/curve.js';
export {
  type DatasetRow,
  loadDataset,
  parseDataset,
  type RouterDataset,
} from './evaluation/dataset.js';
export {
  type EvaluateRouterOptions,
  type EvaluationReport,
  type EvaluationRow,
  evaluateRouter,
  priceDataset,
} from './evaluation/evaluate-router.js';
export {
  extractFeatures,
  type FeatureOptions,
  type SparseFeatures,
  textFlags,
} from './learned/features.js';
export {
  createScorer,
  crossValidateScores,
  DEFAULT_TRAINING,
  foldOf,
  type LearnedModelFile,
  type PromptScorer,
  type TrainingRow,
  type TrainRouterModelOptions,
  trainRouterModel,
} from './learned/learned-model.js';
export { type BudgetAwareOptions, type BudgetStep, budgetAware } from './policies/budget-aware.js';
export { type CascadeOptions, cascade } from './policies/cascade.js';
export {
  briefHash,
  CLASSIFIER_INSTRUCTIONS,
  type ClassifierOptions,
  type ClassifierRouter,
  classifier,
} from './policies/classifier.js';
export { type ComplexityMapOptions, complexityMap } from './policies/complexity-map.js';
export {
  LEARNED_MODEL,
  type LearnedOptions,
  learned,
  type ScoringRouterOptions,
  scoringRouter,
} from './policies/learned.js';
export { type RoutingRule, type RulesOptions, rules } from './policies/rules.js';
export {
  JUDGE_INSTRUCTIONS,
  type JudgeValidatorOptions,
  judgeValidator,
  type PredicateValidatorOptions,
  predicateValidator,
  schemaValidator,
  statusValidator,
  type ValidationInput,
  type Validator,
} from './policies/validators.js';
export {
  type AttemptOutcome,
  type RouteAttemptsOptions,
  type RoutedAttempts,
  routeAttempts,
} from './route-attempts.js';
export {
  type Acceptance,
  COMPLEXITIES,
  type Complexity,
  isScoringRouter,
  type RoutePick,
  type Router,
  type RouterAttempt,
  type RouterContext,
  type RouterSubtask,
  type ScoringRouter,
} from './router.js';
