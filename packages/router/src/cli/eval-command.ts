import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadDataset, type RouterDataset } from '../evaluation/dataset.js';
import { type EvaluationReport, evaluateRouter } from '../evaluation/evaluate-router.js';
import { crossValidateScores, DEFAULT_TRAINING } from '../learned/learned-model.js';
import { parseArguments } from './arguments.js';
import {
  type EvalPolicy,
  finalAnswerCascade,
  keywordRules,
  learnedPolicies,
  promptLength,
} from './eval-policies.js';
import { formatTable } from './format-table.js';
import { dataFiles, defaultDataDir } from './paths.js';

/** One line of `eval --json`. */
export interface EvalLine {
  dataset: string;
  policy: string;
  /** How the figures were obtained: baseline, heuristic, cross-validated, in-sample, held-out. */
  evaluation: string;
  prompts: number;
  strongShare: number;
  quality: number;
  /** nano-USD. */
  cost: number;
  costSaved: number;
  qualityRetained: number;
  /** Quality of a random router at the same expected cost. */
  randomQuality?: number;
  apgr?: number;
  cpt50?: number;
  cpt80?: number;
}

/** Options for {@link runEval}. */
export interface RunEvalOptions {
  /** Command-line arguments (after the script name). */
  argv: readonly string[];
  /** Where output goes. @default process.stdout.write */
  write?: (text: string) => void;
}

const cvCache = new Map<string, Map<string, number>>();

async function crossValidated(devFiles: readonly string[], devSets: readonly RouterDataset[]) {
  const key = devFiles.join('\n');
  let scores = cvCache.get(key);
  if (!scores) {
    scores = crossValidateScores(
      devSets.flatMap((set) => set.rows),
      DEFAULT_TRAINING,
    );
    cvCache.set(key, scores);
  }
  return scores;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

function line(
  report: EvaluationReport,
  which: 'alwaysWeak' | 'alwaysStrong' | 'oracle' | 'result',
  evaluation: string,
): EvalLine {
  const item = report[which];
  const out: EvalLine = {
    dataset: report.dataset,
    policy: item.policy,
    evaluation,
    prompts: report.prompts,
    strongShare: round(item.strongShare),
    quality: round(item.quality),
    cost: item.cost,
    costSaved: round(item.costSaved),
    qualityRetained: round(item.qualityRetained),
  };
  if (which === 'result') {
    out.randomQuality = round(report.random.quality);
    if (report.apgr !== undefined) {
      out.apgr = round(report.apgr);
      out.cpt50 = round(report.cpt50!);
      out.cpt80 = round(report.cpt80!);
    }
  }
  return out;
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * `pnpm --filter @haiku-army/router eval`: evaluates the policies on each
 * data set. `--json` prints one JSON object per data set and policy;
 * `--data FILE.jsonl` (repeatable) evaluates other files; `--scores-out DIR`
 * writes each scoring policy's `{"id","score"}` lines; `--data-dir DIR`
 * names the development files the learned policy is cross-validated on.
 */
export async function runEval(options: RunEvalOptions): Promise<EvalLine[]> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const args = parseArguments(options.argv, {
    flags: ['json'],
    values: ['data', 'scores-out', 'data-dir'],
  });
  const devDir = args.values.get('data-dir')?.at(-1) ?? defaultDataDir();
  const devFiles = dataFiles(devDir);
  const devSets = await Promise.all(devFiles.map((file) => loadDataset(file)));
  const evalFiles = args.values.get('data');
  const sets = evalFiles ? await Promise.all(evalFiles.map((file) => loadDataset(file))) : devSets;
  const scores = await crossValidated(devFiles, devSets);
  const scoresOut = args.values.get('scores-out')?.at(-1);
  if (scoresOut) await mkdir(scoresOut, { recursive: true });
  const lines: EvalLine[] = [];
  for (const set of sets) {
    const ids = set.rows.map((row) => row.id);
    const policies: EvalPolicy[] = [
      { router: keywordRules(), evaluation: 'heuristic' },
      { router: promptLength(), evaluation: 'heuristic' },
      // A cascade is replayed on the recorded weak answers, so only where there are some.
      ...(set.rows.every((row) => row.weakResponse !== undefined)
        ? [{ router: finalAnswerCascade(), evaluation: 'heuristic' }]
        : []),
      ...learnedPolicies(ids, scores),
    ];
    const setLines: EvalLine[] = [];
    for (const [index, policy] of policies.entries()) {
      const report = await evaluateRouter(policy.router, set);
      if (index === 0) {
        setLines.push(line(report, 'alwaysWeak', 'baseline'));
        setLines.push(line(report, 'alwaysStrong', 'baseline'));
        setLines.push(line(report, 'oracle', 'baseline'));
      }
      setLines.push(line(report, 'result', policy.evaluation));
      if (scoresOut && report.scores) {
        const body = set.rows
          .map((row, position) => JSON.stringify({ id: row.id, score: report.scores![position] }))
          .join('\n');
        await writeFile(
          path.join(scoresOut, `${set.name}.${slug(policy.router.name)}.jsonl`),
          `${body}\n`,
        );
      }
    }
    lines.push(...setLines);
    if (args.flags.has('json')) {
      for (const item of setLines) write(`${JSON.stringify(item)}\n`);
    } else {
      write(`${formatTable(set.name, setLines)}\n`);
    }
  }
  return lines;
}
