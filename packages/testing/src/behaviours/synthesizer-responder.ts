import { reply } from '../replies.js';
import { lastUserText } from '../request-text.js';
import type { Responder } from '../responder.js';

/** Options for {@link createSynthesizerResponder}. */
export interface SynthesizerResponderOptions {
  /** Builds the answer from the summaries found. @default a header and one bullet per summary */
  merge?: (summaries: string[]) => string;
}

/** Summaries in a synthesizer prompt: bullet lines or `summary:` lines, else non-empty paragraphs. */
export function extractSummaries(text: string): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const tagged = lines
    .filter((line) => /^([-*]\s+|summary:\s*)/i.test(line))
    .map((line) => line.replace(/^([-*]\s+|summary:\s*)/i, '').trim())
    .filter((line) => line.length > 0);
  if (tagged.length > 0) return tagged;
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.length > 0);
}

/**
 * A SIMULATED synthesizer: merges the subtask summaries in its prompt (see
 * {@link extractSummaries}) into one answer, deterministically.
 */
export function createSynthesizerResponder(options: SynthesizerResponderOptions = {}): Responder {
  const merge =
    options.merge ??
    ((summaries: string[]) =>
      [
        `Combined findings from ${summaries.length} subtasks:`,
        ...summaries.map((summary) => `- ${summary}`),
      ].join('\n'));
  return (request) => reply.text(merge(extractSummaries(lastUserText(request))));
}
