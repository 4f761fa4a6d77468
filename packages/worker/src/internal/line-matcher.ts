import vm from 'node:vm';

/** Indexes of the lines `regex` matches, at most `limit`. */
function scan(regex: RegExp, lines: readonly string[], limit: number): number[] {
  const hits: number[] = [];
  for (let index = 0; index < lines.length && hits.length < limit; index++)
    if (regex.test(lines[index]!)) hits.push(index);
  return hits;
}

const TIMED_SCAN = new vm.Script('scan(input.regex, input.lines, input.limit)');

/** A quantifier outside an escape: the only way a pattern can backtrack without bound. */
function canBacktrack(source: string): boolean {
  return /[*+?{]/.test(source.replace(/\\./g, ''));
}

/** Finds matching lines; `'timeout'` when the pattern ran out of time on them. */
export type LineMatcher = (lines: readonly string[], limit: number) => number[] | 'timeout';

/**
 * Matches lines against a regular expression under a time limit.
 *
 * A catastrophically backtracking pattern (`(a+)+$` against "aaa…a!") runs
 * for minutes inside one synchronous `RegExp#test`, blocking the event loop
 * and with it every worker of the process. The options weighed:
 * - refusing patterns that look dangerous (nested quantifiers) misses many
 *   (`(a|aa)+$`, `\d+\d+\d+$`) and refuses safe ones;
 * - capping the line length does not help: 30 characters are enough;
 * - a worker_thread per search costs a thread and a copy of every file;
 * - `vm`'s `timeout`, used here, makes V8 terminate the running script, and
 *   V8 checks for that inside regexp backtracking, so even a single runaway
 *   `test` is stopped, in-process, with nothing to copy. Its watchdog costs
 *   tens of µs per call, so patterns without quantifiers (which cannot
 *   backtrack without bound) skip it.
 */
export function createLineMatcher(regex: RegExp, timeoutMs: number): LineMatcher {
  if (!canBacktrack(regex.source)) return (lines, limit) => scan(regex, lines, limit);
  const context = vm.createContext({ scan, input: undefined });
  return (lines, limit) => {
    context.input = { regex, lines, limit };
    try {
      return TIMED_SCAN.runInContext(context, { timeout: timeoutMs }) as number[];
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timeout';
      throw error;
    } finally {
      context.input = undefined;
    }
  };
}
