import { reply } from '../replies.js';
import { lastUserText, systemText, type ToolExchange, toolExchanges } from '../request-text.js';
import type { Responder } from '../responder.js';
import { type FileWriterOptions, fileWriterTurn } from './file-writer.js';
import { inputFor, parsePromptFields } from './prompt-conventions.js';

/** Options for {@link createWorkerResponder}. */
export interface WorkerResponderOptions {
  /** Name of the search tool. @default 'grep' */
  grepTool?: string;
  /** Name of the file-reading tool. @default 'read_file' */
  readTool?: string;
  /** Name of the tool that submits the result; without it the worker answers in text. @default 'submit_result' */
  submitTool?: string;
  /** Most files read after searching. @default 3 */
  maxReads?: number;
  /**
   * Count only matches in the files the brief's `files:` list assigns (the
   * search itself still covers the root, as a real worker's grep would).
   * @default false (every match the grep results show)
   */
  assignedFilesOnly?: boolean;
  /**
   * Grep each file (or folder) the brief's `files:` list assigns, one call
   * per term and entry, instead of the whole root: each worker's tool
   * results then depend on its own files only (as an incremental run needs).
   * @default false
   */
  searchAssignedFiles?: boolean;
  /** Builds the summary from what was found. @default a one-paragraph count of matches per file */
  summarize?: (findings: WorkerFindings) => string;
  /**
   * The simulated file writer, for a brief with a `write:` line when the
   * request offers the write tool (see the Demo behaviours in the README). @default {}
   */
  writer?: FileWriterOptions;
}

/** What the simulated worker found, from its tool results. */
export interface WorkerFindings {
  job: string;
  terms: string[];
  /** Files the brief assigned. */
  files: string[];
  /** Matching lines per file path, from grep results. */
  matches: Record<string, number>;
  /** Files read. */
  read: string[];
}

const GREP_LINE = /^([^\s:][^:]*):(\d+)[:-]/;

/** Matching lines per path in grep results; with `assignedOnly` and a files list, only theirs count. */
function parseMatches(
  exchanges: readonly ToolExchange[],
  files: readonly string[],
  assignedOnly: boolean,
): Record<string, number> {
  const matches: Record<string, number> = {};
  const assigned = new Set(assignedOnly ? files : []);
  // A `dir/` entry (a plan that names folders to stay short) assigns every file under it.
  const folders = [...assigned].filter((entry) => entry.endsWith('/'));
  const isAssigned = (path: string) =>
    assigned.size === 0 || assigned.has(path) || folders.some((folder) => path.startsWith(folder));
  for (const exchange of exchanges) {
    for (const line of (exchange.result ?? '').split(/\r?\n/)) {
      const match = GREP_LINE.exec(line.trim());
      const path = match?.[1] ?? (files.includes(line.trim()) ? line.trim() : undefined);
      if (path && isAssigned(path)) matches[path] = (matches[path] ?? 0) + 1;
    }
  }
  return matches;
}

function defaultSummary(findings: WorkerFindings): string {
  const entries = Object.entries(findings.matches).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  );
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  const folders = findings.files.filter((entry) => entry.endsWith('/')).length;
  const noun =
    folders === 0 ? 'files' : folders === findings.files.length ? 'folders' : 'files and folders';
  const scope =
    findings.files.length > 0 ? `${findings.files.length} ${noun}` : 'the assigned files';
  if (total === 0)
    return `Searched ${scope} for ${findings.terms.join(', ') || 'the job terms'}: no matches.`;
  const list = entries.map(([path, count]) => `${path} (${count})`).join(', ');
  return `Searched ${scope} for ${findings.terms.join(', ')}: ${total} matching lines in ${entries.length} files: ${list}.`;
}

/** The summary resubmitted when the first was sent back: the three files with most matches. */
function shortSummary(findings: WorkerFindings): string {
  const entries = Object.entries(findings.matches).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  );
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return `No matches for ${findings.terms.join(', ') || 'the job terms'}.`;
  const top = entries.slice(0, 3).map(([path, count]) => `${path} (${count})`);
  const more = entries.length > 3 ? `, and ${entries.length - 3} more files` : '';
  return `${total} matching lines for ${findings.terms.join(', ')} in ${entries.length} files, most in ${top.join(', ')}${more}.`;
}

/**
 * A SIMULATED worker for a codebase-search brief (see `parsePromptFields`).
 * Turn 1: one `grep` call per term (when the request offers the tool).
 * Turn 2: `read_file` on up to `maxReads` files the grep results named.
 * Turn 3: a `submit_result` call with the summary (or the summary as text when
 * no submit tool is offered). When that submission is sent back (an error
 * result, e.g. the summary is over the cap), it is resubmitted once with a
 * shorter summary (the three files with most matches). After any other result
 * of the submit tool: "Submitted."
 * Tool inputs are matched to each tool's `input_schema` by property name.
 * With `assignedFilesOnly` and a `files:` list in the brief, only matches in
 * those files count. A brief with a `write:` line, when the request offers
 * the write tool, is a file-writing task instead (simulated: read, write, submit).
 */
export function createWorkerResponder(options: WorkerResponderOptions = {}): Responder {
  const grepName = options.grepTool ?? 'grep';
  const readName = options.readTool ?? 'read_file';
  const submitName = options.submitTool ?? 'submit_result';
  const maxReads = options.maxReads ?? 3;
  return (request, context) => {
    const fields = parsePromptFields(`${systemText(request)}\n${lastUserText(request)}`);
    const tools = new Map((request.tools ?? []).map((tool) => [tool.name, tool]));
    const exchanges = toolExchanges(request);
    const byName = (name: string) => exchanges.filter((exchange) => exchange.name === name);

    const submits = byName(submitName);
    // A submission sent back (an error result: too long, bad data) is resubmitted
    // once, shorter; any other reply after a submission is acknowledged.
    const sentBack = submits.length === 1 && submits[0]!.isError === true && !fields.extra.write;
    if (submits.length > 0 && !sentBack) return reply.text('Submitted.');
    const written = fileWriterTurn(fields, tools, exchanges, context, {
      ...options.writer,
      readTool: readName,
      submitTool: submitName,
    });
    if (written) return written;

    const grep = tools.get(grepName);
    if (grep && byName(grepName).length === 0 && fields.terms.length > 0) {
      const paths =
        options.searchAssignedFiles && fields.files.length > 0 ? fields.files : [fields.root];
      return reply.toolCalls(
        fields.terms.flatMap((term) =>
          paths.map((path) => ({
            name: grepName,
            input: inputFor(grep, { pattern: term, path }),
          })),
        ),
      );
    }
    const matches = parseMatches(
      byName(grepName),
      fields.files,
      options.assignedFilesOnly ?? false,
    );
    const read = tools.get(readName);
    const toRead = Object.keys(matches).slice(0, maxReads);
    if (read && byName(readName).length === 0 && toRead.length > 0) {
      return reply.toolCalls(
        toRead.map((path) => ({ name: readName, input: inputFor(read, { path }) })),
      );
    }
    const findings: WorkerFindings = {
      job: fields.job ?? '',
      terms: fields.terms,
      files: fields.files,
      matches,
      read: byName(readName).map((exchange) =>
        String((exchange.input as Record<string, unknown>)?.path ?? ''),
      ),
    };
    const summary = sentBack
      ? shortSummary(findings)
      : (options.summarize ?? defaultSummary)(findings);
    const submit = tools.get(submitName);
    if (submit) {
      return reply.toolUse(
        submitName,
        inputFor(submit, { summary, status: 'done', data: { matches, terms: fields.terms } }),
      );
    }
    return reply.text(summary);
  };
}
