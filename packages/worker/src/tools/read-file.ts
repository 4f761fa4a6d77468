import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import { DEFAULT_READ_MAX_BYTES } from '../constants.js';
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
}

/** Streams a file line by line, keeping the requested range up to a byte cap. */
async function readLines(
  file: string,
  startLine: number,
  endLine: number,
  maxBytes: number,
): Promise<ReadLines> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const lines: string[] = [];
  let total = 0;
  let bytes = 0;
  let capped = false;
  try {
    for await (const line of reader) {
      total += 1;
      if (total < startLine || total > endLine || capped) continue;
      const size = Buffer.byteLength(line, 'utf8') + 1;
      if (bytes + size > maxBytes) {
        capped = true;
        continue;
      }
      bytes += size;
      lines.push(line);
    }
  } finally {
    reader.close();
    stream.destroy();
  }
  return { lines, first: startLine, total, capped };
}

/**
 * `read_file`: reads a text file of the sandbox, optionally a line range,
 * up to a byte cap, with line numbers. Binary files are refused.
 */
export function createReadFileTool(options: CodebaseToolsOptions) {
  const sandbox = sandboxFor(options);
  const cap = positiveInteger('readMaxBytes', options.readMaxBytes, DEFAULT_READ_MAX_BYTES);
  return defineTool({
    name: 'read_file',
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
      if (await fileLooksBinary(file.absolute))
        throw new ToolError(
          `${JSON.stringify(file.relative)} is a binary file; read_file only returns text.`,
        );
      const read = await raceAbort(
        readLines(file.absolute, input.startLine, endLine, input.maxBytes ?? cap),
        context.signal,
      );
      if (read.total === 0) return `${file.relative} is empty.`;
      if (input.startLine > read.total)
        throw new ToolError(
          `${JSON.stringify(file.relative)} has ${read.total} line(s); startLine ${input.startLine} is past the end.`,
        );
      if (read.lines.length === 0)
        throw new ToolError(
          `Line ${input.startLine} of ${JSON.stringify(file.relative)} alone is over the ${input.maxBytes ?? cap}-byte cap.`,
        );
      const last = read.first + read.lines.length - 1;
      const body = read.lines.map((line, index) => `${read.first + index}\t${line}`).join('\n');
      const note = read.capped
        ? `\n(byte cap reached at line ${last}; continue with startLine ${last + 1})`
        : '';
      return `${file.relative} (lines ${read.first}-${last} of ${read.total})\n${body}${note}`;
    },
  });
}
