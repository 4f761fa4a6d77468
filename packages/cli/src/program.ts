import { Command, CommanderError, Option } from 'commander';
import { journalLogger } from './army-setup.js';
import { type CliIo, type ResolvedIo, resolveIo } from './cli-io.js';
import { cacheCommand } from './commands/cache.js';
import { estimateCommand } from './commands/estimate.js';
import { mapCommand } from './commands/map.js';
import { mcpCommand } from './commands/mcp.js';
import { mockCommand } from './commands/mock.js';
import { modelsCommand } from './commands/models.js';
import { reportCommand } from './commands/report.js';
import { resumeCommand } from './commands/resume.js';
import { runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { workerCommand } from './commands/worker.js';
import { EXIT } from './constants.js';
import { journaledHistory } from './cost-history.js';
import { errorLine, exitCodeOf, oneLine, toJson } from './errors.js';
import { integerAtLeast, numberBetween, parseBudget, parseDollars } from './parse-options.js';
import { VERSION } from './version.js';

type Action = (...args: any[]) => Promise<number> | number;

/** The flags `run`, `estimate` and `resume` share. */
function armyOptions(command: Command, { budget = true } = {}): Command {
  command
    .option('--root <dir>', 'the folder the workers may read (required)')
    .option('--planner <model>', 'the planner model (see `army models`)', undefined)
    .option('--workers <model|auto>', 'the workers model, or auto: the router picks by complexity');
  if (budget) {
    command
      .option('--concurrency <n>', 'workers running at once (default 16)', integerAtLeast(1))
      .option('--budget <usd>', 'hard cap on the whole run, dollars (e.g. 0.50)', parseBudget)
      .option('--rounds <n>', 'planning rounds (default 1)', integerAtLeast(1))
      .option('--batch', 'send worker calls as Message Batches (half price, slower)')
      .option('--out <dir>', 'let workers write files under this folder (write_file tool)');
  }
  return command
    .option(
      '--journal <dir>',
      'where runs are journaled (default $HAIKU_ARMY_JOURNAL or .army/runs)',
    )
    .option('--json', 'print one JSON object on stdout, status lines on stderr');
}

/**
 * Builds the `army` program around one I/O boundary. Each action records its
 * exit code; errors become one line on stderr (and `{ "error": ... }` on
 * stdout with `--json`).
 */
export function buildProgram(io: ResolvedIo, exit: { code: number }): Command {
  const program = new Command('army');
  const wrap =
    (action: Action) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const json = command.opts().json === true;
      try {
        exit.code = await action(...args);
      } catch (error) {
        if (json) io.out(toJson({ error }));
        io.err(errorLine(error));
        exit.code = exitCodeOf(error);
      }
    };
  program
    .description(
      'haiku-army: a planner model fans a job out to cheap worker models, with a live view and an itemised bill.\nWithout ANTHROPIC_API_KEY every command runs against the embedded fake API (simulated models, real prices).',
    )
    .version(VERSION, '-v, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => {
        const command = /unknown command/.test(text) ? 'army' : undefined;
        write(`army: ${oneLine(text)}; see \`${command ?? 'army <command>'} --help\`.\n`);
      },
    });

  armyOptions(
    program
      .command('run')
      .description(
        'plan a job, run it on the workers with a live view, print the answer and the bill',
      )
      .argument('<job>', 'what to do, e.g. "find every place that retries an API call"')
      .option('--no-cache', 'reuse no cached result and store none (every subtask is paid again)'),
  ).action(wrap((job: string, flags) => runCommand(job, flags, io)));

  armyOptions(
    program
      .command('map')
      .description(
        'one worker subtask per line of a file (no planner), streamed in chunks and journaled; prints the counts and the bill',
      )
      .argument('<items-file>', 'a text file, one item per line (blank lines are skipped)')
      .option(
        '--brief <template>',
        'what each worker does, with {item} where its line goes (required)',
      )
      .option(
        '--chunk <n>',
        'lines read, journaled and run at a time; a Message Batch each with --batch (default 1000, at most 100000)',
        // The Message Batches API's most requests in one batch.
        integerAtLeast(1, 100_000),
      )
      .option(
        '--chunks-ahead <n>',
        'with --batch, chunks read, journaled and submitted while one runs, so more batches are at the API at once; each is held in memory (default 1, at most 100)',
        integerAtLeast(0, 100),
      )
      .option('--results <file>', 'append each result to this JSONL file as it finishes')
      .option('--no-cache', 'reuse no cached result and store none (every item is paid again)'),
  ).action(wrap((itemsFile: string, flags) => mapCommand(itemsFile, flags, io)));

  const cache = program
    .command('cache')
    .description('the result cache that lets a repeated run reuse unchanged subtasks');
  for (const action of ['prune', 'clear'] as const) {
    const command = cache
      .command(action)
      .description(
        action === 'prune'
          ? 'remove cached results not used for a while (default: over 7 days)'
          : 'remove every cached result',
      )
      .option(
        '--cache <dir>',
        'the cache folder (default $HAIKU_ARMY_CACHE, else `.army/cache` beside the default journal)',
      )
      .option(
        '--journal <dir>',
        'where runs are journaled (default $HAIKU_ARMY_JOURNAL or .army/runs)',
      )
      .option('--json', 'print { cache, action, removed } as one JSON object');
    if (action === 'prune')
      command.option(
        '--older-than <duration>',
        'age of the entries to remove: 45s, 30m, 12h, 7d',
        '7d',
      );
    command.action(wrap((flags) => cacheCommand(action, flags, io)));
  }

  armyOptions(
    program
      .command('estimate')
      .description('plan a job (one planner call) and forecast the cost of running the plan')
      .argument('<job>', 'what to do'),
    { budget: false },
  ).action(
    wrap((job: string, flags) =>
      estimateCommand(job, flags, io, (journal) => journaledHistory(journal, journalLogger(io))),
    ),
  );

  program
    .command('resume')
    .description(
      'go on with an interrupted, cancelled or budget-stopped run from its journal, shown like `army run`',
    )
    .argument('<runId>', 'the run to continue (see `army runs`)')
    .option('--root <dir>', 'the folder the workers may read (default: the run’s own)')
    .option('--out <dir>', 'let workers write files under this folder (default: the run’s own)')
    .option(
      '--concurrency <n>',
      'workers running at once (default: the run’s own)',
      integerAtLeast(1),
    )
    .option(
      '--budget <usd>',
      'hard cap on the whole run, earlier spend included, dollars (default: the run’s own)',
      parseBudget,
    )
    .option(
      '--journal <dir>',
      'where runs are journaled (default $HAIKU_ARMY_JOURNAL or .army/runs)',
    )
    .option('--json', 'print one JSON object on stdout, status lines on stderr')
    .action(wrap((runId: string, flags) => resumeCommand(runId, flags, io)));

  program
    .command('runs')
    .description(
      'the journal’s runs, newest first: id, status, start, duration, cost, subtasks, mode',
    )
    .option(
      '--journal <dir>',
      'where runs are journaled (default $HAIKU_ARMY_JOURNAL or .army/runs)',
    )
    .option('--json', 'print { journal, runs } as one JSON object')
    .action(wrap((flags) => runsCommand(flags, io)));

  program
    .command('report')
    .description(
      'a run from its journal: the answer, the cost table, totals, cache hit rate, saving; --html writes the HTML report',
    )
    .argument('<runId>', 'the run (see `army runs`)')
    .option('--html <file>', 'also write one self-contained HTML report (timeline, cost charts)')
    .option(
      '--journal <dir>',
      'where runs are journaled (default $HAIKU_ARMY_JOURNAL or .army/runs)',
    )
    .option('--json', 'print the RunResult as one JSON object')
    .action(wrap((runId: string, flags) => reportCommand(runId, flags, io)));

  program
    .command('mcp')
    .description(
      'serve the MCP tools fan_out, map, estimate and run_report (stdio; --http for streamable HTTP) until Ctrl-C',
    )
    .option(
      '--root <dir>',
      'a folder clients may search (repeatable; default: the working directory)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--max-budget <usd>',
      'the most one tool call may spend, dollars (default 1)',
      parseDollars,
    )
    .option('--planner <model>', 'the planner model (see `army models`)')
    .option('--workers <model>', 'the workers model when a call names none')
    .option('--http', 'serve streamable HTTP at http://HOST:PORT/mcp instead of stdio')
    .option('--port <n>', 'HTTP port (default 0: any free port)', integerAtLeast(0, 65_535))
    .option('--host <address>', 'HTTP interface (default 127.0.0.1; any other needs --token)')
    .option('--token <token>', 'bearer token HTTP clients must send (or ARMY_MCP_TOKEN)')
    .action(wrap((flags) => mcpCommand(flags, io)));

  program
    .command('mock')
    .description('serve the fake Anthropic API (simulated planner and workers) until Ctrl-C')
    .addOption(
      new Option('--port <n>', 'port (0 = any free port)')
        .default(8787)
        .argParser(integerAtLeast(0, 65_535)),
    )
    .option('--host <address>', 'interface to bind', '127.0.0.1')
    .option('--latency <ms>', 'time to first byte of every response, ms', integerAtLeast(0))
    .option('--per-token-ms <ms>', 'extra time per output token, ms', integerAtLeast(0))
    .option('--seed <n>', 'seed of faults and latency', integerAtLeast(0))
    .option(
      '--fault-rate <p>',
      'random faults (429, 529, 500, dropped connections), 0 to 1',
      numberBetween(0, 1),
    )
    .option('--rpm <n>', 'requests per minute, every model', integerAtLeast(1))
    .option('--itpm <n>', 'input tokens per minute, every model', integerAtLeast(1))
    .option('--otpm <n>', 'output tokens per minute, every model', integerAtLeast(1))
    .option('--batch-processing-ms <ms>', 'time until a batch ends, ms', integerAtLeast(0))
    .option('--plain', 'answer every request with one simulated sentence (no simulated army)')
    .action(
      wrap((flags) =>
        mockCommand(
          {
            port: flags.port,
            host: flags.host,
            simulate: flags.plain !== true,
            ...(flags.latency !== undefined ? { latency: flags.latency } : {}),
            ...(flags.perTokenMs !== undefined ? { perTokenMs: flags.perTokenMs } : {}),
            ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
            ...(flags.faultRate !== undefined ? { faultRate: flags.faultRate } : {}),
            ...(flags.rpm !== undefined ? { rpm: flags.rpm } : {}),
            ...(flags.itpm !== undefined ? { itpm: flags.itpm } : {}),
            ...(flags.otpm !== undefined ? { otpm: flags.otpm } : {}),
            ...(flags.batchProcessingMs !== undefined
              ? { batchProcessingMs: flags.batchProcessingMs }
              : {}),
          },
          io,
        ),
      ),
    );

  program
    .command('models')
    .description('the model catalog with prices per million tokens and its as-of date')
    .option('--json', 'print the catalog as one JSON object')
    .action(wrap((flags) => modelsCommand(flags, io)));

  program
    .command('worker')
    .description(
      "run subtasks from a coordinator's queue on Redis (@haiku-army/redis) until Ctrl-C",
    )
    .option('--redis <url>', 'the Redis the coordinator uses (or HAIKU_ARMY_REDIS_URL)')
    .option('--concurrency <n>', 'subtasks at once in this process (default 16)', integerAtLeast(1))
    .option('--base-url <url>', 'the Anthropic API base URL')
    .option('--queue <name>', 'the BullMQ queue (default haiku-army)')
    .option('--prefix <prefix>', 'the key prefix (default haiku-army)')
    .action(wrap((flags) => workerCommand(flags, io)));

  return program;
}

/**
 * Runs the `army` command line in-process and resolves with its exit code
 * (0 done, 1 failed, 2 a usage error, 3 partial, 130 interrupted).
 *
 * @example
 * const code = await runCli(['models'], { stdout: process.stdout, stderr: process.stderr });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const resolved = resolveIo(io);
  const exit = { code: EXIT.OK as number };
  const program = buildProgram(resolved, exit);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every parse error is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    resolved.err(errorLine(error));
    return exitCodeOf(error);
  }
  return exit.code;
}
