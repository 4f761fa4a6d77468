import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/index.js';

/** The repository's packages folder: the README demo's --root. */
export const PACKAGES_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `army-cli-${prefix}-`));
}

/** A stream that collects what is written. */
export class Collector {
  text = '';
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  /** Called with everything written so far, after each write. */
  onWrite?: (text: string) => void;
  constructor(tty?: { columns: number; rows: number }) {
    if (tty) {
      this.isTTY = true;
      this.columns = tty.columns;
      this.rows = tty.rows;
    }
  }
  write(chunk: string): boolean {
    this.text += chunk;
    this.onWrite?.(this.text);
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((line) => line.length > 0);
  }
}

export interface ArmyOutcome {
  code: number;
  stdout: string;
  stderr: string;
  stderrLines: string[];
}

export interface ArmyCall {
  env?: Record<string, string | undefined>;
  cwd?: string;
  interrupt?: AbortSignal;
  /** Make stderr a terminal of this size. */
  tty?: { columns: number; rows: number };
  /** Sees stderr as it grows (to interrupt a run at a given point). */
  onStderr?: (text: string) => void;
}

/** Runs `army <argv>` in-process; offline (no key) and journaling to a temporary directory unless `env` says otherwise. */
export async function army(argv: string[], call: ArmyCall = {}): Promise<ArmyOutcome> {
  const stdout = new Collector();
  const stderr = new Collector(call.tty);
  if (call.onStderr) stderr.onWrite = call.onStderr;
  const code = await runCli(argv, {
    stdout,
    stderr,
    // The result cache is off unless a test names one (a journal in the system's
    // temporary folder would otherwise share one cache beside it with every test).
    env: { HAIKU_ARMY_CACHE: 'off', ...(call.env ?? { HAIKU_ARMY_JOURNAL: tempDir('journal') }) },
    cwd: call.cwd ?? PACKAGES_DIR,
    ...(call.interrupt ? { interrupt: call.interrupt } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text, stderrLines: stderr.lines };
}
