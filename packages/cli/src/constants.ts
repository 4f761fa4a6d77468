/** Behaviour-changing constants of the `army` command, in one place. */

/** Exit codes. */
export const EXIT = {
  /** The command did what it was asked (a run ended `done`). */
  OK: 0,
  /** A run failed or its budget ran out, or the API or disk failed. */
  FAILED: 1,
  /** A caller mistake: an unknown flag, command or model, a bad number, a missing `--root`, an unknown run id. */
  USAGE: 2,
  /** A run ended `partial`: some subtasks failed, the answer covers the rest. */
  PARTIAL: 3,
  /** Interrupted (Ctrl-C / SIGINT), as shells report 128 + SIGINT. */
  INTERRUPTED: 130,
} as const;

/** Where runs are journaled when neither `--journal` nor `HAIKU_ARMY_JOURNAL` says (relative to the working directory). */
export const DEFAULT_JOURNAL_DIR = '.army/runs';

/** The API key handed to the embedded fake API (it accepts any). */
export const OFFLINE_API_KEY = 'army-offline';

/** First batch poll wait offline, ms (the embedded fake ends a batch in about 50 ms). */
export const OFFLINE_BATCH_POLL_MS = 100;

/** How often the live view redraws, ms. */
export const LIVE_VIEW_INTERVAL_MS = 100;

/** Subtasks the live view lists as the most expensive. */
export const LIVE_VIEW_TOP_SUBTASKS = 3;

/** Width of the live view's budget bar, characters. */
export const BUDGET_BAR_WIDTH = 24;

/** Longest answer line kept per subtask in tables (the summary column), characters. */
export const TABLE_SUMMARY_CHARS = 60;

/** Longest job text `army runs` shows per run, characters. */
export const RUNS_JOB_CHARS = 40;

/** How many journaled runs (newest first) `army estimate` reads for recorded costs. */
export const ESTIMATE_HISTORY_RUNS = 50;

/** `army mcp --max-budget`'s default: the most one tool call may spend, USD (as `army-mcp`'s). */
export const DEFAULT_MCP_MAX_BUDGET_USD = 1;
