/**
 * The router interface the orchestrator calls for every attempt of a
 * subtask. It lives in `@haiku-army/router`; re-exported here so a caller of
 * the orchestrator can type its own router without a second import.
 */
export type {
  Acceptance,
  Complexity,
  RoutePick,
  Router,
  RouterAttempt,
  RouterContext,
  RouterSubtask,
} from '@haiku-army/router';
