/** Where a command writes: a process stream, or a test's collector. */
export interface CliOutput {
  write(text: string): unknown;
  /** Set on a terminal: `army run` then draws its live view. */
  isTTY?: boolean;
  /** Terminal width, characters. */
  columns?: number;
  /** Terminal height, lines (0 on a terminal with no size, where nothing can be redrawn). */
  rows?: number;
}

/**
 * The command's I/O boundary, injected so the program runs in-process (tests,
 * embedding) exactly as the `army` binary runs it.
 */
export interface CliIo {
  /** Results: the bill, the answer, `--json`'s one object. */
  stdout: CliOutput;
  /** Status lines, the live view, errors. */
  stderr: CliOutput;
  /** Environment variables (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `HAIKU_ARMY_JOURNAL`). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Relative paths resolve against it. @default process.cwd() */
  cwd?: string;
  /**
   * Aborted when the user interrupts (Ctrl-C): `army run` cancels its run and
   * exits 130, `army mock` stops its server. @default never
   */
  interrupt?: AbortSignal;
  /** @default Date.now */
  now?: () => number;
}

/** {@link CliIo} with every default filled in. */
export interface ResolvedIo {
  stdout: CliOutput;
  stderr: CliOutput;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  interrupt: AbortSignal;
  now: () => number;
  /** Writes one line to stdout. */
  out(line?: string): void;
  /** Writes one line to stderr. */
  err(line?: string): void;
}

/** Fills the defaults of {@link CliIo}. */
export function resolveIo(io: CliIo): ResolvedIo {
  const stdout = io.stdout;
  const stderr = io.stderr;
  return {
    stdout,
    stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    interrupt: io.interrupt ?? new AbortController().signal,
    now: io.now ?? Date.now,
    out: (line = '') => void stdout.write(`${line}\n`),
    err: (line = '') => void stderr.write(`${line}\n`),
  };
}
