import type { RequestTool } from '../wire-types.js';

/**
 * The small prompt convention the default (simulated) behaviours read. Any
 * line `key: value` sets a field; `files:` is followed by one path per line
 * (`- path` or `* path` or a bare path) until a blank line or the next key.
 *
 * ```text
 * role: worker
 * job: Find where "retryAfter" is parsed
 * root: packages/core/src
 * terms: retryAfter, retry-after
 * files:
 * - gateway/retry.ts
 * - gateway/gateway.ts
 * ```
 */
export interface PromptFields {
  role?: string;
  job?: string;
  root?: string;
  terms: string[];
  files: string[];
  /** Every other `key: value` line, keys lower-cased. */
  extra: Record<string, string>;
}

const KEY_LINE = /^\s*([A-Za-z][A-Za-z _-]{0,30}):\s*(.*)$/;
const STOPWORDS = new Set(
  'find where what which that this with from into when have there their about should could would every each files file code search look line lines'.split(
    ' ',
  ),
);

/** Splits a `terms:` value on commas, keeping quoted phrases whole. */
function splitTerms(value: string): string[] {
  return value
    .split(',')
    .map((term) => term.trim().replace(/^["'`]|["'`]$/g, ''))
    .filter((term) => term.length > 0);
}

/** Terms a job mentions: quoted or back-ticked strings, else its longest distinctive words. */
export function termsFromJob(job: string): string[] {
  const quoted = [...job.matchAll(/["`']([^"`']{2,60})["`']/g)].map((match) => match[1]!);
  if (quoted.length > 0) return [...new Set(quoted)];
  const words = (job.match(/[A-Za-z_][A-Za-z0-9_-]{3,}/g) ?? []).filter(
    (word) => !STOPWORDS.has(word.toLowerCase()),
  );
  return [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b)).slice(0, 3);
}

/** Parses the convention out of prompt text. Missing `terms` are derived from `job`. */
export function parsePromptFields(text: string): PromptFields {
  const fields: PromptFields = { terms: [], files: [], extra: {} };
  let inFiles = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const key = KEY_LINE.exec(raw);
    const isBullet = /^[-*]\s+/.test(line);
    if (inFiles && line.length > 0 && (isBullet || !key)) {
      fields.files.push(line.replace(/^[-*]\s+/, ''));
      continue;
    }
    inFiles = false;
    if (!key) continue;
    const name = key[1]!.trim().toLowerCase();
    const value = key[2]!.trim();
    if (name === 'files') {
      inFiles = true;
      fields.files.push(...splitTerms(value));
    } else if (name === 'terms') fields.terms.push(...splitTerms(value));
    else if (name === 'role') fields.role = value.toLowerCase();
    else if (name === 'job' || name === 'task') fields.job = value;
    else if (name === 'root') fields.root = value;
    else fields.extra[name] = value;
  }
  if (fields.terms.length === 0) fields.terms = termsFromJob(fields.job ?? text);
  return fields;
}

const SYNONYMS: Record<string, readonly string[]> = {
  pattern: ['pattern', 'query', 'regex', 'term', 'search', 'text'],
  path: ['path', 'file', 'file_path', 'filePath', 'filename'],
  summary: ['summary', 'result', 'answer', 'text', 'content'],
  status: ['status', 'outcome'],
  data: ['data', 'findings', 'details'],
};

/**
 * Builds a tool input from named values, matched to the tool's
 * `input_schema` properties by name or synonym (`pattern` fills `query`,
 * `path` fills `file_path`, ...). Without a schema the values are used as is.
 */
export function inputFor(
  tool: RequestTool | undefined,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const properties = (tool?.input_schema?.properties ?? undefined) as
    | Record<string, unknown>
    | undefined;
  if (!properties || Object.keys(properties).length === 0) return { ...values };
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const candidates = SYNONYMS[name] ?? [name];
    const target = candidates.find((candidate) => candidate in properties && !(candidate in input));
    if (target) input[target] = value;
  }
  return input;
}
