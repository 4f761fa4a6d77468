import { posix } from 'node:path';
import type { ModelInfo } from '@haiku-army/core';
import { type Reply, reply } from '../replies.js';
import type { ToolExchange } from '../request-text.js';
import type { ResponderContext } from '../responder.js';
import type { RequestTool } from '../wire-types.js';
import type { PromptFields } from './prompt-conventions.js';
import { inputFor } from './prompt-conventions.js';
import { outlineSource, type SourceExport, type SourceOutline } from './source-outline.js';

/** What {@link FileWriterOptions.flawed} decides on. */
export interface FlawInput {
  /** The model the request was sent to. */
  model: ModelInfo;
  /** The path the worker writes (the brief's `write:`). */
  path: string;
  /** The run-time exports of the files it read (a test file imports only these). */
  exports: readonly SourceExport[];
}

/** Options of the simulated file writer (a part of the simulated worker). */
export interface FileWriterOptions {
  /** Name of the write tool. @default 'write_file' */
  writeTool?: string;
  /**
   * Whether this attempt writes a flawed file: a code file cut off before its
   * end, so it does not parse. SIMULATES a cheap model losing track of a long
   * output, so a validator and a cascade have something to catch.
   * @default a haiku-tier model writing a code file for more than {@link FLAW_EXPORT_THRESHOLD} exports
   */
  flawed?: (input: FlawInput) => boolean;
}

/** The default flaw rule: a haiku-tier model cuts off code files for more exports than this. */
export const FLAW_EXPORT_THRESHOLD = 4;

const CODE_FILE = /\.(?:[cm]?[jt]sx?)$/;
const TEST_FILE = /\.(?:test|spec)\.[cm]?[jt]sx?$/;
const NUMBERED_LINE = /^\d+\t(.*)$/;

function defaultFlawed({ model, path, exports }: FlawInput): boolean {
  return model.tier === 'haiku' && CODE_FILE.test(path) && exports.length > FLAW_EXPORT_THRESHOLD;
}

/** The file text in a `read_file` result (`path (lines a-b of n)` then `n<TAB>line`). */
function readText(exchange: ToolExchange): string {
  return (exchange.result ?? '')
    .split(/\r?\n/)
    .map((line) => NUMBERED_LINE.exec(line)?.[1])
    .filter((line): line is string => line !== undefined)
    .join('\n');
}

/** The module specifier a test imports: the brief's `import:`, else the source next to it. */
function importSpecifier(fields: PromptFields): string {
  if (fields.extra.import) return fields.extra.import;
  const source = fields.files[0] ?? 'index.ts';
  return `./${posix.basename(source).replace(/\.[cm]?tsx?$/, '.js')}`;
}

/**
 * Test text for the exports: one `node:test` test per export, its examples as
 * assertions. A `cut` file stops inside the test of the export after the
 * threshold's (or the last one), before its closing `});`: it does not parse.
 */
function testFile(fields: PromptFields, exports: readonly SourceExport[], cut: boolean): string {
  const lines = [
    `// Tests for ${fields.files.join(', ')}, written by a SIMULATED worker (the haiku-army fake API):`,
    '// one test per export, asserting what its @example lines say.',
    "import assert from 'node:assert/strict';",
    "import { test } from 'node:test';",
  ];
  if (exports.length > 0)
    lines.push(
      `import { ${exports.map((item) => item.name).join(', ')} } from '${importSpecifier(fields)}';`,
    );
  const stopAt = cut ? Math.min(FLAW_EXPORT_THRESHOLD, exports.length - 1) : -1;
  if (cut && exports.length === 0) lines.push('', "test('loads', () => {");
  for (const [index, item] of exports.entries()) {
    lines.push('', `test('${item.name}', () => {`);
    if (item.kind === 'const') lines.push(`  assert.notEqual(${item.name}, undefined);`);
    else lines.push(`  assert.equal(typeof ${item.name}, 'function');`);
    if (index === stopAt) break;
    for (const example of item.examples)
      lines.push(`  assert.deepEqual(${example.call}, ${example.expected});`);
    lines.push('});');
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown for the outline: the file's description, then each export with its doc and examples. */
function docFile(fields: PromptFields, outline: SourceOutline, exports: readonly SourceExport[]) {
  const lines = [`# ${fields.files.join(', ')}`, ''];
  if (outline.description) lines.push(outline.description, '');
  lines.push(
    '_Written by a SIMULATED worker (the haiku-army fake API) from the doc comments._',
    '',
    '## Exports',
  );
  for (const item of exports) {
    lines.push('', `### \`${item.name}\` (${item.kind})`, '', '```ts', item.signature, '```');
    if (item.doc) lines.push('', item.doc);
    for (const example of item.examples)
      lines.push('', `\`${example.call}\` returns \`${example.expected}\`.`);
  }
  return `${lines.join('\n')}\n`;
}

function submit(tool: RequestTool | undefined, status: string, summary: string, data: unknown) {
  return tool
    ? reply.toolUse(tool.name, inputFor(tool, { summary, status, data }))
    : reply.text(summary);
}

/**
 * A SIMULATED worker turn for a brief that asks for a file (a `write:` line,
 * e.g. `write: tests/strings.test.ts`, with the sources in `files:`), when
 * the request offers the write tool:
 * 1. `read_file` on every file of `files:`;
 * 2. the write tool with a file made from their exports (see `outlineSource`):
 *    a `.test.*` / `.spec.*` path gets `node:test` tests (one per export,
 *    its `@example ... // => value` lines as assertions), any other path a
 *    Markdown page of the exports (types included) and their doc comments;
 * 3. `submit_result` with `{ path, exports, tests?, description? }` (status
 *    `failed` when the write was refused).
 * {@link FileWriterOptions.flawed} makes step 2 write a code file that stops
 * in the middle (by default on haiku-tier models, for more than 4 exports).
 */
export function fileWriterTurn(
  fields: PromptFields,
  tools: ReadonlyMap<string, RequestTool>,
  exchanges: readonly ToolExchange[],
  context: Pick<ResponderContext, 'model'>,
  options: FileWriterOptions & { readTool: string; submitTool: string },
): Reply | undefined {
  const writeName = options.writeTool ?? 'write_file';
  const path = fields.extra.write;
  const writeTool = tools.get(writeName);
  if (!path || !writeTool) return undefined;
  const byName = (name: string) => exchanges.filter((exchange) => exchange.name === name);
  const readTool = tools.get(options.readTool);
  const reads = byName(options.readTool);
  if (readTool && reads.length === 0 && fields.files.length > 0) {
    return reply.toolCalls(
      fields.files.map((file) => ({
        name: readTool.name,
        input: inputFor(readTool, { path: file }),
      })),
    );
  }
  const submitTool = tools.get(options.submitTool);
  const unreadable = reads.filter((exchange) => exchange.isError);
  if (unreadable.length > 0 && unreadable.length === reads.length)
    return submit(
      submitTool,
      'failed',
      `Could not read ${fields.files.join(', ')}: ${unreadable[0]!.result ?? 'no result'}`,
      { path, exports: [] },
    );
  const outline = outlineSource(reads.map(readText).join('\n'));
  const isTest = TEST_FILE.test(path);
  // Tests import run-time values only; a reference page covers the types too.
  const exports = isTest ? outline.exports.filter((item) => item.kind !== 'type') : outline.exports;
  const writes = byName(writeName);
  if (writes.length === 0) {
    const cut =
      isTest && (options.flawed ?? defaultFlawed)({ model: context.model, path, exports });
    const content = isTest ? testFile(fields, exports, cut) : docFile(fields, outline, exports);
    return reply.toolUse(writeName, inputFor(writeTool, { path, content }));
  }
  const names = exports.map((item) => item.name);
  const written = writes.at(-1)!;
  if (written.isError)
    return submit(submitTool, 'failed', `Could not write ${path}: ${written.result}`, {
      path,
      exports: names,
    });
  const list = names.length > 0 ? `: ${names.join(', ')}` : '';
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  if (isTest) {
    const assertions = exports.reduce((sum, item) => sum + item.examples.length, 0);
    return submit(
      submitTool,
      'done',
      `Wrote ${path}: ${count(names.length, 'test')} with ${count(assertions, 'example assertion')}${list}.`,
      { path, exports: names, tests: names.length },
    );
  }
  // The module in one line: its own doc comment, else its first export's.
  const description = outline.description ?? exports.find((item) => item.doc)?.doc;
  return submit(
    submitTool,
    'done',
    `Wrote ${path} documenting ${count(names.length, 'export')}${list}.`,
    { path, exports: names, ...(description ? { description } : {}) },
  );
}
