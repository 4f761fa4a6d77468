import { type LedgerEntry, usd } from '@haiku-army/core';
import { type Army, createArmy, type RunResult } from '@haiku-army/orchestrator';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { checkBudget, checkRoot } from './guards.js';
import type { ResolvedMcpOptions } from './options.js';

/** What one tool call asks the army for. */
export interface ArmyRequest {
  root?: string;
  budgetUsd?: number;
  concurrency?: number;
  workers?: string;
  rounds?: number;
}

/** A finished run kept for `run_report`. */
export interface StoredRun {
  result: RunResult<unknown>;
  entries: LedgerEntry[];
  root: string;
}

/**
 * What every MCP session shares: the checked options, the API it talks to
 * (the real one, or the offline fake started once), and the last runs.
 */
export class ArmyRuntime {
  readonly options: ResolvedMcpOptions;
  /** Whether the server runs against its embedded fake API (no API key). */
  readonly offline: boolean;
  readonly #fake: FakeAnthropicServer | undefined;
  readonly #runs = new Map<string, StoredRun>();

  private constructor(options: ResolvedMcpOptions, fake: FakeAnthropicServer | undefined) {
    this.options = options;
    this.#fake = fake;
    this.offline = fake !== undefined;
  }

  /** Starts the offline fake when there is no API key, and says which API the server uses. */
  static async start(options: ResolvedMcpOptions): Promise<ArmyRuntime> {
    if (options.apiKey) {
      // The key itself is never logged, only where it is sent.
      options.log(
        `army-mcp: using the Anthropic API at ${options.baseURL ?? 'https://api.anthropic.com'}.`,
      );
      return new ArmyRuntime(options, undefined);
    }
    const fake = await startFakeAnthropic();
    options.log(
      `army-mcp: no ANTHROPIC_API_KEY, so runs go to the offline fake API of @haiku-army/testing at ${fake.url} (simulated planner and workers, nothing is billed). Set ANTHROPIC_API_KEY for real runs.`,
    );
    return new ArmyRuntime(options, fake);
  }

  /** The checked root and budget of a request. @throws McpRefusal */
  check(request: ArmyRequest): { root: string; budgetUsd: number } {
    return {
      root: checkRoot(request.root, this.options.roots),
      budgetUsd: checkBudget(request.budgetUsd, this.options.maxBudgetUsd),
    };
  }

  /** An army for one call: the root's codebase tools and a hard run budget. */
  army(request: ArmyRequest): { army: Army; root: string; budgetUsd: number } {
    const { root, budgetUsd } = this.check(request);
    const workers = request.workers ?? this.options.workers;
    const army = createArmy({
      ...(this.#fake
        ? { baseURL: this.#fake.url, apiKey: 'offline-fake-key' }
        : {
            apiKey: this.options.apiKey,
            ...(this.options.baseURL ? { baseURL: this.options.baseURL } : {}),
          }),
      tools: codebaseTools({ root }),
      context: `root: ${root}`,
      budget: { run: usd(budgetUsd) },
      ...(this.options.planner ? { planner: this.options.planner } : {}),
      ...(workers ? { workers } : {}),
      ...(request.concurrency !== undefined ? { concurrency: request.concurrency } : {}),
      ...(request.rounds !== undefined ? { rounds: request.rounds } : {}),
    });
    return { army, root, budgetUsd };
  }

  /** Keeps a finished run (the oldest is dropped past `keepRuns`). */
  remember(run: StoredRun): void {
    this.#runs.set(run.result.runId, run);
    while (this.#runs.size > this.options.keepRuns) {
      const oldest = this.#runs.keys().next().value as string;
      this.#runs.delete(oldest);
    }
  }

  /** A kept run, or undefined. */
  recall(runId: string): StoredRun | undefined {
    return this.#runs.get(runId);
  }

  /** The ids of the kept runs, newest last. */
  runIds(): string[] {
    return [...this.#runs.keys()];
  }

  /** Stops the offline fake, when there is one. */
  async close(): Promise<void> {
    await this.#fake?.close();
  }
}
