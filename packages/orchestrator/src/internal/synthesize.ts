import type { ModelGateway } from '@haiku-army/core';
import { SYNTHESIS_TASK_ID } from '../constants.js';
import type { SubtaskResult } from '../run-result.js';
import { SYNTHESIZER_SYSTEM, synthesizerUser } from './prompts.js';

/** One synthesizer call: the job and the subtasks' summaries and data, never transcripts. */
export async function synthesize(options: {
  gateway: ModelGateway;
  runId: string;
  model: string;
  maxTokens: number;
  job: string;
  results: readonly SubtaskResult[];
  /** Subtasks that failed or were skipped: named so the answer can say what it does not cover. */
  missing?: readonly SubtaskResult[];
  signal?: AbortSignal | undefined;
}): Promise<string> {
  const response = await options.gateway.call(
    {
      model: options.model,
      max_tokens: options.maxTokens,
      system: SYNTHESIZER_SYSTEM,
      messages: [
        { role: 'user', content: synthesizerUser(options.job, options.results, options.missing) },
      ],
    },
    { runId: options.runId, taskId: SYNTHESIS_TASK_ID, role: 'synthesizer' },
    options.signal ? { signal: options.signal } : {},
  );
  return response.message.content
    .filter((block) => block.type === 'text')
    .map((block) => (block as { text: string }).text)
    .join('')
    .trim();
}
