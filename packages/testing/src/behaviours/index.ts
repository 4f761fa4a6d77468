export { armyDefaultRole } from './army-default.js';
export { armyRoundDone, requestedPlanShape, toArmyPlan } from './army-plan.js';
export {
  createDemoResponders,
  type DemoRespondersOptions,
  type DemoRole,
  detectRole,
} from './demo-responders.js';
export {
  type FileWriterOptions,
  FLAW_EXPORT_THRESHOLD,
  type FlawInput,
} from './file-writer.js';
export {
  createPlannerResponder,
  type PlanDraft,
  type PlanDraftSubtask,
  type PlannerResponderOptions,
} from './planner-responder.js';
export {
  inputFor,
  type PromptFields,
  parsePromptFields,
  termsFromJob,
} from './prompt-conventions.js';
export {
  outlineSource,
  type SourceExample,
  type SourceExport,
  type SourceOutline,
} from './source-outline.js';
export {
  createSynthesizerResponder,
  extractSummaries,
  type SynthesizerResponderOptions,
} from './synthesizer-responder.js';
export {
  createWorkerResponder,
  type WorkerFindings,
  type WorkerResponderOptions,
} from './worker-responder.js';
