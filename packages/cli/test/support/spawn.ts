import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real `army` binary (it loads dist/: build the package first). */
export const BIN = fileURLToPath(new URL('../../bin/army.js', import.meta.url));

if (!existsSync(fileURLToPath(new URL('../../dist/main.js', import.meta.url))))
  throw new Error('packages/cli/dist is missing: run `npx -y pnpm@10 build` before the bin tests.');

/** A spawned `army`, its output collected as it arrives. */
export class ArmyProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters: (() => void)[] = [];

  constructor(argv: string[], env: Record<string, string | undefined>, cwd: string) {
    const clean = { ...process.env };
    delete clean.ANTHROPIC_API_KEY;
    delete clean.ANTHROPIC_BASE_URL;
    this.child = spawn(process.execPath, [BIN, ...argv], {
      cwd,
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.#wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.#wake();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.#wake();
        resolve({ code, signal });
      }),
    );
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once the output matches (rejects if the process ends first). */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      const match = pattern.exec(this[stream]);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `army exited before ${stream} matched ${pattern}:\n${this.stdout}\n${this.stderr}`,
        );
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
