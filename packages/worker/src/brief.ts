import { invalidOption } from '@haiku-army/core';

/**
 * What a worker is asked to do, in four parts. Only `objective` is
 * required; the others sharpen the work and keep it in its lane.
 *
 * @example
 * const brief: Brief = {
 *   objective: 'Find every place that reads process.env in src/.',
 *   outputFormat: 'One line per hit: path:line and the variable name.',
 *   guidance: 'Use grep for "process.env", then read_file around each hit.',
 *   boundaries: 'Do not look outside src/. Do not suggest fixes.',
 * };
 */
export interface Brief {
  /** The task, stated as the result wanted. */
  objective: string;
  /** The shape of the answer: what the summary should say, what goes in `data`. */
  outputFormat?: string;
  /** Which tools and sources to use, and how. */
  guidance?: string;
  /** What not to do: scope limits, files or actions that are out of bounds. */
  boundaries?: string;
}

/** What {@link renderBrief} needs besides the brief. */
export interface RenderBriefOptions {
  /** The JSON Schema `data` must match, when the task has an output schema. */
  outputSchema?: Record<string, unknown>;
  /** The summary's token cap. */
  summaryTokenCap: number;
}

/** Accepts a brief or a bare objective string; throws INVALID_OPTIONS naming the bad part. */
export function normalizeBrief(brief: Brief | string, name = 'brief'): Brief {
  if (typeof brief === 'string') brief = { objective: brief };
  if (!brief || typeof brief !== 'object')
    throw invalidOption(
      name,
      'a Brief { objective, outputFormat?, guidance?, boundaries? } or a string',
      brief,
    );
  if (typeof brief.objective !== 'string' || brief.objective.trim().length === 0)
    throw invalidOption(`${name}.objective`, 'a non-empty string', brief.objective);
  for (const key of ['outputFormat', 'guidance', 'boundaries'] as const) {
    const value = brief[key];
    if (value !== undefined && typeof value !== 'string')
      throw invalidOption(`${name}.${key}`, 'a string', value);
  }
  return brief;
}

/**
 * Renders a brief as the worker's first user message. The output schema
 * travels here, not in the `submit_result` tool definition, so every worker
 * sharing a cached prefix sends byte-identical tools.
 */
export function renderBrief(brief: Brief, options: RenderBriefOptions): string {
  const sections = [`# Objective\n${brief.objective.trim()}`];
  const format: string[] = [];
  if (brief.outputFormat?.trim()) format.push(brief.outputFormat.trim());
  format.push(
    `Keep the summary under ${options.summaryTokenCap} tokens (about ${Math.floor(options.summaryTokenCap * 0.75)} words): findings, not your process.`,
  );
  if (options.outputSchema) {
    format.push(
      'Put the structured result in `data` of submit_result. It must match this JSON Schema:\n' +
        `\`\`\`json\n${JSON.stringify(options.outputSchema, null, 2)}\n\`\`\``,
    );
  }
  sections.push(`# Output format\n${format.join('\n\n')}`);
  if (brief.guidance?.trim()) sections.push(`# Tools and sources\n${brief.guidance.trim()}`);
  if (brief.boundaries?.trim()) sections.push(`# Boundaries\n${brief.boundaries.trim()}`);
  return sections.join('\n\n');
}
