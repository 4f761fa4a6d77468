import type { CallEndEvent } from '@haiku-army/core';
import type { Attributes } from '@opentelemetry/api';

/** The instrumentation scope's name (the tracer's). */
export const TRACER_NAME = '@haiku-army/orchestrator';

/**
 * haiku-army's own attribute keys, next to the GenAI semantic conventions.
 * Money is integer nano-USD (1 USD = 1e9), as everywhere in haiku-army.
 */
export const ATTR = {
  runId: 'haiku_army.run.id',
  taskId: 'haiku_army.task.id',
  parentTaskId: 'haiku_army.task.parent_id',
  role: 'haiku_army.role',
  attempt: 'haiku_army.attempt',
  status: 'haiku_army.status',
  code: 'haiku_army.code',
  cost: 'haiku_army.cost.nano_usd',
  costInput: 'haiku_army.cost.input.nano_usd',
  costOutput: 'haiku_army.cost.output.nano_usd',
  costCacheWrite: 'haiku_army.cost.cache_write.nano_usd',
  costCacheRead: 'haiku_army.cost.cache_read.nano_usd',
  transportAttempts: 'haiku_army.call.transport_attempts',
  outcome: 'haiku_army.call.outcome',
  entryId: 'haiku_army.ledger.entry_id',
  serviceTier: 'haiku_army.service_tier',
} as const;

/**
 * A call span's attributes: the GenAI semantic conventions (operation,
 * provider, model, token usage with cache reads and writes) plus the cost
 * and the attribution. `gen_ai.usage.input_tokens` counts every prompt token
 * (uncached + cache writes + cache reads), as the conventions ask.
 */
export function callAttributes(event: CallEndEvent): Attributes {
  const { attribution } = event;
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'anthropic',
    'gen_ai.system': 'anthropic',
    'gen_ai.request.model': event.model,
    [ATTR.runId]: attribution.runId,
    [ATTR.taskId]: attribution.taskId,
    [ATTR.role]: attribution.role,
    [ATTR.outcome]: event.outcome,
    [ATTR.transportAttempts]: event.attempts,
    [ATTR.cost]: event.cost?.total ?? 0,
  };
  if (attribution.parentTaskId !== undefined)
    attributes[ATTR.parentTaskId] = attribution.parentTaskId;
  if (attribution.attempt !== undefined) attributes[ATTR.attempt] = attribution.attempt;
  if (event.entryId !== undefined) attributes[ATTR.entryId] = event.entryId;
  const usage = event.usage;
  if (usage) {
    const cacheWrite = usage.cacheWrite5mTokens + usage.cacheWrite1hTokens;
    attributes['gen_ai.usage.input_tokens'] =
      usage.inputTokens + cacheWrite + usage.cacheReadTokens;
    attributes['gen_ai.usage.output_tokens'] = usage.outputTokens;
    attributes['gen_ai.usage.cache_read.input_tokens'] = usage.cacheReadTokens;
    attributes['gen_ai.usage.cache_creation.input_tokens'] = cacheWrite;
    attributes[ATTR.serviceTier] = usage.serviceTier;
  }
  const cost = event.cost;
  if (cost) {
    attributes[ATTR.costInput] = cost.input;
    attributes[ATTR.costOutput] = cost.output;
    attributes[ATTR.costCacheWrite] = cost.cacheWrite;
    attributes[ATTR.costCacheRead] = cost.cacheRead;
  }
  return attributes;
}
