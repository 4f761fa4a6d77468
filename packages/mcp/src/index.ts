export { type Bill, billOf, billSchema, type SubtaskSummary, summariesOf } from './bill.js';
export { type Forecast, forecastOf, forecastSchema } from './estimate.js';
export { BUDGET_OVER_CAP, checkBudget, checkRoot, McpRefusal, ROOT_NOT_ALLOWED } from './guards.js';
export type { ArmyMcpOptions } from './options.js';
export {
  type ArmyMcpServer,
  checkHttpExposure,
  createArmyMcpServer,
  type HttpEndpoint,
  SERVER_INFO,
  type ServeHttpOptions,
} from './server.js';
