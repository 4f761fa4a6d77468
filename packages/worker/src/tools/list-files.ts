import * as z from 'zod';
import { DEFAULT_LIST_LIMIT } from '../constants.js';
import { hashContent } from '../dependencies.js';
import { positiveInteger, sandboxFor } from '../internal/codebase-options.js';
import { compileGlob } from '../internal/glob.js';
import { walkFiles } from '../internal/walk-files.js';
import { defineTool, type ToolContext } from '../tool.js';
import type { CodebaseToolsOptions } from './codebase-tool-options.js';

const MAX_PAGE = 1_000;

/**
 * `list_files`: lists files under a directory of the sandbox, filtered by a
 * glob, in name order, a page at a time. Skips `.git`, `node_modules` and
 * `.gitignore`d files.
 */
export function createListFilesTool(options: CodebaseToolsOptions) {
  const sandbox = sandboxFor(options);
  const gitignore = options.gitignore ?? true;
  const defaultLimit = Math.min(
    MAX_PAGE,
    positiveInteger('listLimit', options.listLimit, DEFAULT_LIST_LIMIT),
  );
  const schema = z.object({
    pattern: z
      .string()
      .default('*')
      .describe('Glob of files to list. Default "*" (every file at any depth).'),
    path: z.string().default('.').describe('Directory to list, relative to the root. Default ".".'),
    offset: z.number().int().min(0).default(0).describe('Entries to skip (paging). Default 0.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE)
      .optional()
      .describe(`Entries per page. Default ${defaultLimit}.`),
  });
  type Input = z.output<typeof schema>;
  return defineTool({
    name: 'list_files',
    recordsDependencies: true,
    description:
      'List files in the codebase (read-only), in name order, a page at a time. Skips .git, node_modules and .gitignored files. ' +
      'A glob without "/" matches file names at any depth ("*.ts"); with "/" it matches paths relative to `path` ("src/**/*.test.ts").',
    input: schema,
    async fingerprint(signal) {
      // Paths only: the planner plans by names; contents are checked per subtask.
      const start = await sandbox.resolve('.');
      const paths: string[] = [];
      for await (const file of walkFiles({ sandbox, start, gitignore, signal }))
        paths.push(file.relative);
      return hashContent(paths.sort().join('\n'));
    },
    async run(input, context) {
      const result = await search(input, context);
      context.dependencies?.query({ tool: 'list_files', input, result });
      return result;
    },
  });

  async function search(input: Input, context: ToolContext): Promise<string> {
    const start = await sandbox.resolve(input.path);
    const matches = compileGlob(input.pattern, 'pattern');
    const limit = input.limit ?? defaultLimit;
    const page: string[] = [];
    let total = 0;
    for await (const file of walkFiles({ sandbox, start, gitignore, signal: context.signal })) {
      if (!matches(file.fromStart)) continue;
      if (total >= input.offset && page.length < limit) page.push(file.relative);
      total += 1;
    }
    if (total === 0)
      return `No files match ${JSON.stringify(input.pattern)} under ${JSON.stringify(start.relative)}.`;
    if (page.length === 0)
      return `Offset ${input.offset} is past the end: ${total} file(s) match. Use a smaller offset.`;
    const last = input.offset + page.length;
    const footer =
      last < total
        ? `(files ${input.offset + 1}-${last} of ${total}; call list_files again with offset ${last} for more)`
        : `(files ${input.offset + 1}-${last} of ${total})`;
    return `${page.join('\n')}\n${footer}`;
  }
}
