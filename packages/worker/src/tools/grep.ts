import { readFile, stat } from 'node:fs/promises';
import * as z from 'zod';
import {
  DEFAULT_GREP_MAX_FILE_BYTES,
  DEFAULT_GREP_MAX_MATCHES,
  DEFAULT_GREP_TIMEOUT_MS,
  MAX_GREP_CONTEXT_LINES,
} from '../constants.js';
import { throwIfAborted } from '../internal/abort.js';
import { looksBinary } from '../internal/binary.js';
import { positiveInteger, sandboxFor } from '../internal/codebase-options.js';
import { compileGlob } from '../internal/glob.js';
import { createLineMatcher } from '../internal/line-matcher.js';
import { walkFiles } from '../internal/walk-files.js';
import { defineTool, type ToolContext, ToolError } from '../tool.js';
import type { CodebaseToolsOptions } from './codebase-tool-options.js';

const MAX_LINE_CHARS = 300;
const MAX_MATCHES_CEILING = 1_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compilePattern(pattern: string, literal: boolean, ignoreCase: boolean): RegExp {
  if (pattern.length === 0)
    throw new ToolError('`pattern` is empty; pass text or a regular expression to search for.');
  const source = literal ? escapeRegExp(pattern) : pattern;
  try {
    return new RegExp(source, ignoreCase ? 'i' : '');
  } catch (error) {
    throw new ToolError(
      `Invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}. ` +
        'Escape special characters with a backslash, or pass literal: true to search for the text as is.',
    );
  }
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}

/** Line-number ranges to print around the hits, merged where they touch. */
function ranges(hits: readonly number[], context: number, lineCount: number): [number, number][] {
  const merged: [number, number][] = [];
  for (const hit of hits) {
    const from = Math.max(0, hit - context);
    const to = Math.min(lineCount - 1, hit + context);
    const last = merged.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/**
 * `grep`: searches file contents under a directory of the sandbox for a
 * regular expression or literal text, with an optional file glob, a match
 * cap and context lines. Binary and very large files are skipped; an
 * invalid regular expression is a clear tool error.
 */
export function createGrepTool(options: CodebaseToolsOptions) {
  const sandbox = sandboxFor(options);
  const gitignore = options.gitignore ?? true;
  const defaultMax = Math.min(
    MAX_MATCHES_CEILING,
    positiveInteger('grepMaxMatches', options.grepMaxMatches, DEFAULT_GREP_MAX_MATCHES),
  );
  const maxFileBytes = positiveInteger(
    'grepMaxFileBytes',
    options.grepMaxFileBytes,
    DEFAULT_GREP_MAX_FILE_BYTES,
  );
  const timeoutMs = positiveInteger(
    'grepTimeoutMs',
    options.grepTimeoutMs,
    DEFAULT_GREP_TIMEOUT_MS,
  );
  const schema = z.object({
    pattern: z
      .string()
      .describe('A JavaScript regular expression (or literal text with literal: true).'),
    literal: z
      .boolean()
      .default(false)
      .describe('Search for `pattern` as plain text. Default false.'),
    ignoreCase: z.boolean().default(false).describe('Case-insensitive search. Default false.'),
    path: z
      .string()
      .default('.')
      .describe('Directory or file to search, relative to the root. Default ".".'),
    glob: z
      .string()
      .optional()
      .describe('Only search files matching this glob, e.g. "*.ts" (any depth) or "src/**/*.ts".'),
    maxMatches: z
      .number()
      .int()
      .min(1)
      .max(MAX_MATCHES_CEILING)
      .optional()
      .describe(`Stop after this many matching lines. Default ${defaultMax}.`),
    contextLines: z
      .number()
      .int()
      .min(0)
      .max(MAX_GREP_CONTEXT_LINES)
      .default(0)
      .describe('Lines of context before and after each match. Default 0.'),
  });
  type Input = z.output<typeof schema>;
  return defineTool({
    name: 'grep',
    recordsDependencies: true,
    description:
      'Search file contents in the codebase (read-only) for a JavaScript regular expression, or literal text with literal: true. ' +
      'Prints "path:line:text" per match and "path-line-text" for context lines. Skips binary files, .git, node_modules and .gitignored files.',
    input: schema,
    async run(input, context) {
      const result = await search(input, context);
      context.dependencies?.query({ tool: 'grep', input, result });
      return result;
    },
  });

  async function search(input: Input, context: ToolContext): Promise<string> {
    const regex = compilePattern(input.pattern, input.literal, input.ignoreCase);
    const matchLines = createLineMatcher(regex, timeoutMs);
    const start = await sandbox.resolve(input.path);
    const matchesGlob = input.glob === undefined ? () => true : compileGlob(input.glob, 'glob');
    const maxMatches = input.maxMatches ?? defaultMax;
    const output: string[] = [];
    let matchCount = 0;
    let fileCount = 0;
    let searched = 0;
    let binary = 0;
    let large = 0;
    let stopped = false;
    for await (const file of walkFiles({ sandbox, start, gitignore, signal: context.signal })) {
      if (!matchesGlob(file.fromStart)) continue;
      throwIfAborted(context.signal);
      let bytes: Buffer;
      try {
        if ((await stat(file.absolute)).size > maxFileBytes) {
          large += 1;
          continue;
        }
        bytes = await readFile(file.absolute);
      } catch {
        continue; // vanished or unreadable: not a match
      }
      if (looksBinary(bytes)) {
        binary += 1;
        continue;
      }
      searched += 1;
      const lines = bytes.toString('utf8').split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop(); // a final newline ends the last line
      const hits = matchLines(lines, maxMatches - matchCount);
      if (hits === 'timeout')
        throw new ToolError(
          `The regular expression ${JSON.stringify(input.pattern)} took over ${timeoutMs} ms on ${file.relative}, ` +
            'probably from catastrophic backtracking (nested quantifiers such as "(a+)+"). ' +
            'Simplify it, or pass literal: true to search for plain text.',
        );
      if (hits.length === 0) continue;
      if (matchCount + hits.length >= maxMatches) stopped = true;
      matchCount += hits.length;
      fileCount += 1;
      const hitSet = new Set(hits);
      for (const [from, to] of ranges(hits, input.contextLines, lines.length)) {
        if (input.contextLines > 0 && output.length > 0) output.push('--');
        for (let index = from; index <= to; index++) {
          const mark = hitSet.has(index) ? ':' : '-';
          output.push(`${file.relative}${mark}${index + 1}${mark}${clip(lines[index]!)}`);
        }
      }
      if (stopped) break;
    }
    const skipped: string[] = [];
    if (binary > 0) skipped.push(`${binary} binary file(s)`);
    if (large > 0) skipped.push(`${large} file(s) over ${maxFileBytes} bytes`);
    const skippedNote = skipped.length > 0 ? ` Skipped ${skipped.join(' and ')}.` : '';
    if (matchCount === 0)
      return `No matches for ${JSON.stringify(input.pattern)} in ${searched} file(s) under ${JSON.stringify(start.relative)}.${skippedNote}`;
    const summary = stopped
      ? `(stopped at ${maxMatches} matches; narrow the pattern, path or glob, or raise maxMatches)`
      : `(${matchCount} match(es) in ${fileCount} file(s))`;
    return `${output.join('\n')}\n${summary}${skippedNote}`;
  }
}
