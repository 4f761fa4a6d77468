/** Who made a model call. Free-form roles are allowed beside the built-in ones. */
export type CallRole =
  | 'planner'
  | 'router'
  | 'worker'
  | 'synthesizer'
  | 'classifier'
  | (string & {});

/**
 * Travels with every model call so its cost lands on the subtask that spent it.
 * The ledger rolls costs up the task tree (`parentTaskId`), by model, role and tag.
 */
export interface Attribution {
  /** The run this call belongs to. */
  runId: string;
  /** The subtask that made the call. */
  taskId: string;
  /** The subtask's parent in the task tree, if any. */
  parentTaskId?: string;
  role: CallRole;
  /** The escalation attempt (1 = first tier tried). @default 1 */
  attempt?: number;
  /** Free-form labels for roll-ups, e.g. `['team:search', 'customer:acme']`. @default [] */
  tags?: readonly string[];
}
