import { ArmyError, usd } from '@haiku-army/core';
import type { RunHandle, RunResult } from '@haiku-army/orchestrator';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import {
  billOf,
  billSchema,
  costTreeOf,
  costTreeSchema,
  subtaskSummarySchema,
  summariesOf,
} from './bill.js';
import { forecastOf, forecastSchema } from './estimate.js';
import { McpRefusal } from './guards.js';
import { followProgress } from './progress.js';
import type { ArmyRuntime } from './runtime.js';

/** What a tool handler gets from the SDK that this server uses. */
interface CallExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: {
    method: 'notifications/progress';
    params: { progressToken: string | number; progress: number; total?: number; message?: string };
  }) => Promise<void>;
}

const budgetUsd = z
  .number()
  .positive()
  .optional()
  .describe(
    "Most this call may spend, USD. Defaults to the server's --max-budget and may not exceed it.",
  );
const root = z
  .string()
  .optional()
  .describe(
    'Directory the workers may read: one of the server\u2019s --root directories or inside one. Defaults to the first.',
  );

const runOutput = {
  runId: z.string(),
  status: z.string(),
  root: z.string(),
  answer: z.string().optional(),
  subtasks: z.array(subtaskSummarySchema),
  bill: billSchema,
};

/** A tool's result: the structured content and a text summary of it. */
function structured(text: string, content: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: content };
}

/** Registers fan_out, map, estimate and run_report on `server`. */
export function registerArmyTools(server: McpServer, runtime: ArmyRuntime): void {
  const redact = (text: string) =>
    runtime.options.apiKey ? text.split(runtime.options.apiKey).join('[redacted]') : text;
  /** Refusals and errors as a tool error (the client's model reads it), never a key. */
  const guarded =
    <A>(handler: (args: A, extra: CallExtra) => Promise<CallToolResult>) =>
    async (args: A, extra: CallExtra): Promise<CallToolResult> => {
      try {
        return await handler(args, extra);
      } catch (error) {
        const code =
          error instanceof McpRefusal || error instanceof ArmyError ? `${error.code}: ` : '';
        const message = error instanceof Error ? error.message : String(error);
        return { isError: true, content: [{ type: 'text', text: redact(`${code}${message}`) }] };
      }
    };

  /** Runs a handle to its end, reporting progress when the client sent a token. */
  const finish = async (
    handle: RunHandle<unknown>,
    extra: CallExtra,
    total = 0,
  ): Promise<RunResult<unknown>> => {
    const token = extra._meta?.progressToken;
    const following =
      token === undefined
        ? Promise.resolve()
        : followProgress(
            handle,
            (progress, all, message) =>
              extra.sendNotification({
                method: 'notifications/progress',
                params: { progressToken: token, progress, total: all, message },
              }),
            total,
          ).catch(() => {});
    const result = await handle;
    await following;
    return result;
  };

  const runContent = (
    result: RunResult<unknown>,
    rootDir: string,
    entries: Parameters<typeof billOf>[1],
  ) => {
    const bill = billOf(result, entries);
    return {
      runId: result.runId,
      status: result.status,
      root: rootDir,
      ...(typeof result.answer === 'string' ? { answer: result.answer } : {}),
      subtasks: summariesOf(result.subtasks),
      bill,
    };
  };

  const billLine = (bill: z.infer<typeof billSchema>) =>
    `Bill: ${bill.total} over ${bill.calls} calls (${Object.entries(bill.byModel)
      .map(([model, nano]) => `${model} ${nano} nano-USD`)
      .join(
        ', ',
      )}); saving vs ${bill.baseline.model}: ${bill.baseline.savingNanoUsd} nano-USD (${Math.round(bill.baseline.savingRatio * 100)}%).`;

  server.registerTool(
    'fan_out',
    {
      title: 'Fan a job out to a Haiku army',
      description:
        'Delegates a broad job (search a codebase, review many files) to a planner and a pool of cheap worker models. Returns only the answer, one summary per subtask and the bill, so your context stays small.',
      inputSchema: {
        job: z.string().min(1).describe('What to find or do, in plain words'),
        root,
        budgetUsd,
        concurrency: z.number().int().min(1).max(64).optional().describe('Workers at once'),
        workers: z
          .string()
          .optional()
          .describe('The workers\u2019 model id (e.g. claude-haiku-5-5)'),
        rounds: z.number().int().min(1).max(5).optional().describe('Planning rounds'),
      },
      outputSchema: runOutput,
    },
    guarded(async (args, extra) => {
      const { army, root: dir } = runtime.army(args);
      const result = await finish(army.run(args.job, { signal: extra.signal }), extra);
      const entries = army.ledger.entries({ runId: result.runId });
      runtime.remember({ result, entries, root: dir });
      const content = runContent(result, dir, entries);
      const text = [
        `Run ${result.runId}: ${result.status}, ${result.subtasks.length} subtasks.`,
        content.answer ?? '(no answer)',
        billLine(content.bill),
      ].join('\n\n');
      return structured(text, content);
    }),
  );

  server.registerTool(
    'map',
    {
      title: 'Map a brief over items',
      description:
        'Runs one worker per item with the same brief (no planner call). Use {item} in the brief where the item goes (else it is appended). Returns one result per item and the bill.',
      inputSchema: {
        items: z.array(z.string().min(1)).min(1).max(1000).describe('The items, e.g. file paths'),
        brief: z.string().min(1).describe('What to do with each item; {item} is replaced by it'),
        output: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('A JSON Schema every item\u2019s data must match'),
        root,
        budgetUsd,
      },
      outputSchema: {
        runId: z.string(),
        status: z.string(),
        results: z.array(subtaskSummarySchema.extend({ item: z.string() })),
        bill: billSchema,
      },
    },
    guarded(async (args, extra) => {
      const { army, root: dir } = runtime.army(args);
      let output: z.ZodType | undefined;
      if (args.output) {
        try {
          output = z.fromJSONSchema(args.output as Parameters<typeof z.fromJSONSchema>[0]);
        } catch (error) {
          throw new McpRefusal(
            'INVALID_OUTPUT_SCHEMA',
            `output is not a JSON Schema this server can use: ${(error as Error).message}`,
          );
        }
      }
      const brief = (item: string) =>
        args.brief.includes('{item}')
          ? args.brief.split('{item}').join(item)
          : `${args.brief}\n\nItem: ${item}`;
      const handle = army.map(args.items, brief, {
        signal: extra.signal,
        ...(output ? { output } : {}),
      });
      const result = await finish(handle, extra, args.items.length);
      const entries = army.ledger.entries({ runId: result.runId });
      runtime.remember({ result, entries, root: dir });
      const bill = billOf(result, entries);
      const results = summariesOf(result.subtasks, true).map((summary, index) => ({
        item: args.items[index]!,
        ...summary,
      }));
      const done = results.filter((entry) => entry.status === 'done').length;
      const text = [
        `Run ${result.runId}: ${result.status}, ${done}/${results.length} items done.`,
        ...results.map((entry) => `- ${entry.item} [${entry.status}]: ${entry.summary}`),
        billLine(bill),
      ].join('\n');
      return structured(text, { runId: result.runId, status: result.status, results, bill });
    }),
  );

  server.registerTool(
    'estimate',
    {
      title: 'Estimate what a fan-out would cost',
      description:
        'Plans the job (one planner call, which is billed) and returns a low/expected/high cost range for running it, without running any worker.',
      inputSchema: { job: z.string().min(1), root },
      outputSchema: forecastSchema.shape,
    },
    guarded(async (args, extra) => {
      const { army, root: dir, budgetUsd: cap } = runtime.army(args);
      const plan = await army.plan(args.job, { signal: extra.signal });
      const planning = army.ledger.totals().cost.total;
      const forecast = forecastOf(army, plan, {
        root: dir,
        ...(runtime.options.workers ? { workers: runtime.options.workers } : {}),
        planningNanoUsd: planning,
        capNanoUsd: usd(cap),
      });
      const text = `${forecast.subtasks} subtasks. Forecast: low ${forecast.low}, expected ${forecast.expected}, high ${forecast.high} (cap ${cap} USD). ${forecast.method}`;
      return structured(text, forecast);
    }),
  );

  server.registerTool(
    'run_report',
    {
      title: 'Report on a finished run',
      description:
        'The summary and cost tree of a run this server ran (by the runId fan_out or map returned).',
      inputSchema: { runId: z.string().min(1) },
      outputSchema: {
        ...runOutput,
        startedAt: z.number(),
        endedAt: z.number(),
        costTree: costTreeSchema,
      },
    },
    guarded(async (args) => {
      const stored = runtime.recall(args.runId);
      if (!stored) {
        const known = runtime.runIds();
        throw new McpRefusal(
          'RUN_NOT_FOUND',
          `No run ${JSON.stringify(args.runId)} on this server. Known runs: ${known.length > 0 ? known.join(', ') : 'none yet'}.`,
        );
      }
      const { result, entries, root: dir } = stored;
      const content = {
        ...runContent(result, dir, entries),
        startedAt: result.startedAt,
        endedAt: result.endedAt,
        costTree: costTreeOf(result),
      };
      const tree = content.costTree;
      const text = [
        `Run ${result.runId}: ${result.status}, ${result.subtasks.length} subtasks, ${content.bill.total}.`,
        `Cost tree (nano-USD): planner ${tree.plannerNanoUsd}, router ${tree.routerNanoUsd}, synthesis ${tree.synthesisNanoUsd}, other ${tree.otherNanoUsd}`,
        ...tree.subtasks.map(
          (subtask) =>
            `- ${subtask.id}: ${subtask.totalNanoUsd} (${subtask.attempts.map((a) => `#${a.attempt} ${a.model} ${a.totalNanoUsd}`).join(', ')})`,
        ),
        billLine(content.bill),
      ].join('\n');
      return structured(text, content);
    }),
  );
}
