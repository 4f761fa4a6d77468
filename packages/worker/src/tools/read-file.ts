import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import { DEFAULT_READ_MAX_BYTES, DEFAULT_READ_MAX_FILE_BYTES } from '../constants.js';
import { readRecord } from '../dependencies.js';
import { raceAbort } from '../internal/abort.js';
import { fileLooksBinary } from '../internal/binary.js';
import { positiveInteger, sandboxFor } from '../internal/codebase-options.js';
import { defineTool, ToolError } from '../tool.js';
import type { CodebaseToolsOptions } from './codebase-tool-options.js';

interface ReadLines {
  lines: string[];
  /** 1-based number of the first line returned. */
  first: number;
  /** Lines in the whole file. */
  total: number;
  /** True when the byte cap cut the range short. */
  capped: boolean;
  /** Set when the first line alone was over the cap: its length in bytes (only its start is returned). */
  cutLineBytes?: number;
}

/** The longest prefix of `line` within `maxBytes` UTF-8 bytes, never splitting a character. */
function cutToBytes(line: string, maxBytes: number): string {
  // With `stream: true` an incomplete trailing sequence is held back, not replaced.
  return new TextDecoder().decode(Buffer.from(line, 'utf8').subarray(0, maxBytes), {
    stream: true,
  });
}

/** Streams a file line by line, keeping the requested range up to a byte cap. */
async function readLines(
  file: string,
  range: { startLine: number; endLine: number; maxBytes: number },
  signal: AbortSignal,
): Promise<ReadLines> {
  const { startLine, endLine, maxBytes } = range;
  // The signal destroys the stream, so a cancelled read stops reading.
  const stream = createReadStream(file, { encoding: 'utf8', signal });
  const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const read: ReadLines = { lines: [], first: startLine, total: 0, capped: false };
  let bytes = 0;
  try {
    for await (const line of reader) {
      read.total += 1;
      if (read.total < startLine || read.total > endLine || read.capped) continue;
      const size = Buffer.byteLength(line, 'utf8') + 1;
      if (bytes + size <= maxBytes) {
        bytes += size;
        read.lines.push(line);
        continue;
      }
      read.capped = true;
      // A line longer than the whole cap (minified code, data) is shown cut
      // rather than not at all.
      if (read.lines.length === 0) {
        read.lines.push(cutToBytes(line, maxBytes));
        read.cutLineBytes = size - 1;
      }
    }
  } finally {
    reader.close();
    stream.destroy();
  }
  return read;
}

/**
 * `read_file`: reads a text file of the sandbox, optionally a line range,
 * up to a byte cap, with line numbers. Binary files are refused.
 */
export function createReadFileTool(options: CodebaseToolsOptions) {
  const sandbox = sandboxFor(options);
  const cap = positiveInteger('readMaxBytes', options.readMaxBytes, DEFAULT_READ_MAX_BYTES);
  const maxFileBytes = positiveInteger(
    'readMaxFileBytes',
    options.readMaxFileBytes,
    DEFAULT_READ_MAX_FILE_BYTES,
  );
  return defineTool({
    name: 'read_file',
    recordsDependencies: true,
    description:
      'Read a text file of the codebase (read-only), optionally a range of lines. Lines are prefixed with their number and a tab. ' +
      `Returns at most ${cap} bytes per call; read large files in ranges. Binary files are refused.`,
    input: z.object({
      path: z.string().describe('File path relative to the root, e.g. "src/index.ts".'),
      startLine: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe('First line to read (1-based). Default 1.'),
      endLine: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe('Last line to read (inclusive). Default: end of file.'),
      maxBytes: z
        .number()
        .int()
        .min(1)
        .max(cap)
        .optional()
        .describe(`Most bytes to return. Default and maximum ${cap}.`),
    }),
    async run(input, context) {
      const endLine = input.endLine ?? Number.POSITIVE_INFINITY;
      if (endLine < input.startLine)
        throw new ToolError(
          `endLine (${endLine}) is before startLine (${input.startLine}); pass a range with startLine <= endLine.`,
        );
      const file = await sandbox.resolve(input.path);
      const info = await stat(file.absolute);
      if (info.isDirectory())
        throw new ToolError(
          `${JSON.stringify(file.relative)} is a directory; use list_files to see its files.`,
        );
      if (!info.isFile())
        throw new ToolError(`${JSON.stringify(file.relative)} is not a regular file.`);
      if (info.size > maxFileBytes)
        throw new ToolError(
          `${JSON.stringify(file.relative)} is ${info.size} bytes; read_file reads files up to ${maxFileBytes} bytes. Use grep to find the part you need.`,
        );
      if (await fileLooksBinary(file.absolute))
        throw new ToolError(
          `${JSON.stringify(file.relative)} is a binary file; read_file only returns text.`,
        );
      // The whole file's hash, so a reused result is checked against any change to it.
      context.dependencies?.read(await readRecord(file.absolute));
      const maxBytes = input.maxBytes ?? cap;
      const read = await raceAbort(
        readLines(file.absolute, { startLine: input.startLine, endLine, maxBytes }, context.signal),
        context.signal,
      );
      if (read.total === 0) return `${file.relative} is empty.`;
      if (input.startLine > read.total)
        throw new ToolError(
          `${JSON.stringify(file.relative)} has ${read.total} line(s); startLine ${input.startLine} is past the end.`,
        );
      const last = read.first + read.lines.length - 1;
      const body = read.lines.map((line, index) => `${read.first + index}\t${line}`).join('\n');
      const more =
        last < Math.min(endLine, read.total) ? `; continue with startLine ${last + 1}` : '';
      const note =
        read.cutLineBytes !== undefined
          ? `\n(byte cap reached inside line ${last}: showing ${Buffer.byteLength(read.lines[0]!, 'utf8')} of its ${read.cutLineBytes} bytes${more})`
          : read.capped
            ? `\n(byte cap reached at line ${last}${more})`
            : '';
      return `${file.relative} (lines ${read.first}-${last} of ${read.total})\n${body}${note}`;
    },
  });
}
