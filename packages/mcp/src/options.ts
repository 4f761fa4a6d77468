import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';

/** Options of {@link createArmyMcpServer}. */
export interface ArmyMcpOptions {
  /** The directories a client may search (and their subdirectories). At least one. */
  roots: readonly string[];
  /** The most one tool call may spend, USD; a call's `budgetUsd` defaults to it and may not exceed it. */
  maxBudgetUsd: number;
  /**
   * The Anthropic API key. Without one, the server starts the offline fake API of
   * `@haiku-army/testing` (simulated planner and workers) and says so on the log.
   * @default process.env.ANTHROPIC_API_KEY
   */
  apiKey?: string;
  /** The API's base URL. @default process.env.ANTHROPIC_BASE_URL, else the SDK's default */
  baseURL?: string;
  /** The planner's model. @default the orchestrator's */
  planner?: string;
  /** The workers' model when a call does not name one. @default the orchestrator's */
  workers?: string;
  /** How many finished runs `run_report` keeps in memory. @default 20 */
  keepRuns?: number;
  /** Where diagnostics go (never results, never the API key). @default stderr */
  log?: (line: string) => void;
}

/** The options once checked: real paths, a default log. */
export interface ResolvedMcpOptions
  extends Required<Omit<ArmyMcpOptions, 'apiKey' | 'baseURL' | 'planner' | 'workers'>> {
  apiKey?: string;
  baseURL?: string;
  planner?: string;
  workers?: string;
}

/** Checks the options; roots become real paths, so a symlink cannot widen them. */
export function resolveMcpOptions(options: ArmyMcpOptions): ResolvedMcpOptions {
  if (!Array.isArray(options.roots) || options.roots.length === 0)
    throw invalidOption('roots', 'at least one directory (--root DIR)', options.roots);
  const roots = options.roots.map((root) => {
    try {
      return realpathSync(resolve(root));
    } catch {
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        `The root ${JSON.stringify(root)} does not exist; pass an existing directory to --root.`,
      );
    }
  });
  const cap = options.maxBudgetUsd;
  if (typeof cap !== 'number' || !Number.isFinite(cap) || cap <= 0)
    throw invalidOption('maxBudgetUsd', 'a positive number of USD (--max-budget 2)', cap);
  const keepRuns = options.keepRuns ?? 20;
  if (!Number.isInteger(keepRuns) || keepRuns < 1)
    throw invalidOption('keepRuns', 'a positive integer', keepRuns);
  const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
  const baseURL = options.baseURL ?? process.env.ANTHROPIC_BASE_URL;
  return {
    roots,
    maxBudgetUsd: cap,
    keepRuns,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    ...(apiKey ? { apiKey } : {}),
    ...(baseURL ? { baseURL } : {}),
    ...(options.planner ? { planner: options.planner } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
  };
}
