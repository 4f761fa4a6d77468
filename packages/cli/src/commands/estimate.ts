import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SYNTHESIZER_MAX_TOKENS,
  type Plan,
} from '@haiku-army/orchestrator';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MAX_TOOL_RESULT_CHARS,
  DEFAULT_MAX_TURNS,
  DEFAULT_SUMMARY_TOKEN_CAP,
  renderBrief,
} from '@haiku-army/worker';
import { type ArmyFlags, type ArmySetup, setUpArmy } from '../army-setup.js';
import type { ResolvedIo } from '../cli-io.js';
import { connect } from '../connection.js';
import type { CostHistory } from '../cost-history.js';
import { toJson } from '../errors.js';
import { type Forecast, type ForecastLimits, forecastPlan } from '../forecast.js';
import { columns, money, plural, table } from '../view/format.js';
import { checkArmyFlags } from './run.js';

/** Flags of `army estimate`. */
export interface EstimateFlags extends ArmyFlags {
  json?: boolean;
}

/** The limits an `army run` worker runs under: the worker package's defaults (the CLI sets none). */
export const CLI_WORKER_LIMITS: ForecastLimits = {
  maxTurns: DEFAULT_MAX_TURNS,
  maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS,
  maxTokens: DEFAULT_MAX_TOKENS,
  maxToolResultChars: DEFAULT_MAX_TOOL_RESULT_CHARS,
  summaryTokenCap: DEFAULT_SUMMARY_TOKEN_CAP,
};

/** Forecasts a plan for the army the flags built (its models, router, tools and limits). */
export function forecastFor(
  setup: ArmySetup,
  job: string,
  plan: Plan,
  history?: CostHistory,
): Promise<Forecast> {
  const { router } = setup;
  return forecastPlan({
    job,
    plan,
    catalog: setup.gateway.catalog,
    tools: setup.tools,
    modelOf: async (subtask) => {
      if (!router) return setup.workers;
      const pick = await router.pick(
        {
          id: subtask.id,
          brief: renderBrief(subtask.brief, { summaryTokenCap: CLI_WORKER_LIMITS.summaryTokenCap }),
          complexity: subtask.complexity,
          ...(subtask.tags ? { tags: subtask.tags } : {}),
        },
        { runId: 'estimate', attempts: [] },
      );
      return pick ? setup.gateway.catalog.get(pick.model).id : setup.workers;
    },
    // `--workers <id>` makes one attempt; a router may be asked again after an escalatable failure.
    attempts: router ? DEFAULT_MAX_ATTEMPTS : 1,
    synthesizer: setup.planner,
    synthesizerMaxTokens: DEFAULT_SYNTHESIZER_MAX_TOKENS,
    limits: CLI_WORKER_LIMITS,
    ...(history ? { history } : {}),
  });
}

/** What `army estimate --json` prints. */
export interface EstimateReport extends Forecast {
  job: string;
  plan: Plan;
  planner: { model: string; cost: number };
  journal: string;
  history: { runs: number; subtasks: number };
}

function renderEstimate(report: EstimateReport, root: string): string {
  const lines: string[] = [];
  lines.push(
    `Plan: ${plural(report.plan.subtasks.length, 'subtask')}, written by ${report.planner.model} for ${money(report.planner.cost)} (already spent).`,
    '',
  );
  lines.push(
    table(
      ['subtask', 'complexity', 'model', 'low', 'expected', 'high'],
      report.subtasks.map((subtask) => [
        subtask.id,
        subtask.complexity,
        subtask.model,
        money(subtask.low),
        money(subtask.expected),
        money(subtask.high),
      ]),
      ['left', 'left', 'left', 'right', 'right', 'right'],
    ),
    '',
  );
  const { synthesis, total } = report;
  lines.push(
    ...columns(
      [
        ['', '', 'low', 'expected', 'high'],
        [
          'Synthesis',
          synthesis.model,
          money(synthesis.low),
          money(synthesis.expected),
          money(synthesis.high),
        ],
        ['Total', 'to run the plan', money(total.low), money(total.expected), money(total.high)],
      ],
      ['left', 'left', 'right', 'right', 'right'],
    ),
    '',
  );
  lines.push(
    report.basis === 'history'
      ? `Expected: the mean of ${plural(report.history.subtasks, 'recorded subtask')} from ${plural(report.history.runs, 'journaled run')} in ${report.journal}, by complexity and model (a heuristic where none matches).`
      : `Expected: a heuristic from each subtask's complexity and brief size (no runs journaled in ${report.journal} yet; once there are, their recorded costs are used).`,
  );
  lines.push(
    `High: every limit reached (${CLI_WORKER_LIMITS.maxTurns} turns of ${CLI_WORKER_LIMITS.maxOutputTokens.toLocaleString('en-US')} output tokens and a ${CLI_WORKER_LIMITS.maxToolResultChars.toLocaleString('en-US')}-character tool result each, up to the worker's ${CLI_WORKER_LIMITS.maxTokens.toLocaleString('en-US')}-token cap${report.subtasks[0] && report.subtasks[0].attempts > 1 ? `, ${report.subtasks[0].attempts} attempts` : ''}) at the gateway's worst-case prices.`,
  );
  lines.push(`Run it: army run ${JSON.stringify(report.job)} --root ${JSON.stringify(root)}`);
  return lines.join('\n');
}

/**
 * `army estimate "<job>" --root DIR`: one planner call, then a forecast of
 * running that plan (low / expected / high per subtask and in total),
 * without running a worker. Resolves with the exit code.
 */
export async function estimateCommand(
  job: string,
  flags: EstimateFlags,
  io: ResolvedIo,
  loadHistory?: (journal: string) => Promise<CostHistory | undefined>,
): Promise<number> {
  checkArmyFlags(flags, io);
  const connection = await connect(io.env);
  try {
    const setup = setUpArmy({ ...flags, budget: undefined }, connection, io, { journal: false });
    io.err(connection.banner);
    io.err(`Planning with ${setup.planner} (one call; no worker runs)…`);
    const plan = await setup.army.plan(job, { signal: io.interrupt });
    const plannerCost = setup.gateway.ledger.totals({ role: 'planner' }).cost.total;
    const history = loadHistory ? await loadHistory(setup.journal) : undefined;
    const forecast = await forecastFor(setup, job, plan, history);
    const report: EstimateReport = {
      job,
      plan,
      planner: { model: setup.planner, cost: plannerCost },
      journal: setup.journal,
      history: { runs: history?.runs ?? 0, subtasks: history?.subtaskSamples ?? 0 },
      ...forecast,
    };
    io.out(flags.json ? toJson(report) : renderEstimate(report, flags.root!));
    return 0;
  } finally {
    await connection.close();
  }
}
