import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchWorstCase, chunkItems, planItems } from '../src/gateway/batch-plan.js';
import {
  ArmyError,
  BatchBudgetExceededError,
  type BatchItem,
  Budget,
  batchCustomId,
  CUSTOM_ID_PATTERN,
  costOf,
  createGateway,
  defaultCatalog,
  ERROR_CODES,
  getModel,
  usd,
} from '../src/index.js';
import { inputTokensUpperBound, worstCaseCost } from '../src/internal/index.js';

function item(taskId: string, overrides: Partial<BatchItem['request']> = {}): BatchItem {
  return {
    request: {
      model: 'claude-haiku-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: `Task ${taskId}` }],
      ...overrides,
    },
    attribution: { runId: 'run-1', taskId, role: 'worker' },
  };
}

/** A gateway whose client fails the test if anything is ever sent. */
function offlineGateway(budget?: Budget) {
  const sent: string[] = [];
  const gateway = createGateway({
    client: new Anthropic({
      apiKey: 'test-key',
      baseURL: 'http://offline.test',
      fetch: async (url) => {
        sent.push(String(url));
        throw new Error('nothing may be sent');
      },
    }),
    ...(budget ? { budget } : {}),
  });
  return { gateway, sent };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ArmyError ? error.code : 'not an ArmyError';
  }
  return undefined;
}

describe('batch custom ids', () => {
  it('reads run_task_attempt when that is unambiguous', () => {
    expect(batchCustomId({ runId: 'run-1', taskId: 'shard-7', role: 'worker' })).toBe(
      'run-1_shard-7_1',
    );
    expect(batchCustomId({ runId: 'run-1', taskId: 'shard-7', role: 'worker', attempt: 3 })).toBe(
      'run-1_shard-7_3',
    );
  });

  it('hashes ids with other characters or too long, always within the API rules, never colliding', () => {
    const ambiguous = [
      { runId: 'a_b', taskId: 'c', role: 'worker' },
      { runId: 'a', taskId: 'b_c', role: 'worker' },
      { runId: 'a', taskId: 'b.c', role: 'worker' },
      { runId: 'a', taskId: 'b:c', role: 'worker' },
      { runId: 'r'.repeat(40), taskId: 't'.repeat(40), role: 'worker' },
      { runId: 'r'.repeat(40), taskId: `${'t'.repeat(39)}u`, role: 'worker' },
    ];
    const ids = ambiguous.map(batchCustomId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(CUSTOM_ID_PATTERN);
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.integer({ min: 1, max: 99 }),
        (run, task, attempt) => {
          const id = batchCustomId({ runId: run, taskId: task, role: 'worker', attempt });
          return CUSTOM_ID_PATTERN.test(id);
        },
      ),
    );
  });
});

describe('planning a batch', () => {
  it('refuses bad input with a code before anything is sent', () => {
    const { gateway, sent } = offlineGateway();
    expect(codeOf(() => gateway.batch([]))).toBe(ERROR_CODES.BATCH_EMPTY);
    expect(codeOf(() => gateway.batch([item('a'), item('b'), item('a')]))).toBe(
      ERROR_CODES.BATCH_DUPLICATE_ID,
    );
    expect(() => gateway.batch([item('a'), item('b'), item('a')])).toThrow(
      /items 0 and 2 share the custom_id "run-1_a_1"/,
    );
    expect(codeOf(() => gateway.batch([item('a'), item('b', { model: 'claude-haiku-9' })]))).toBe(
      ERROR_CODES.UNKNOWN_MODEL,
    );
    expect(() => gateway.batch([item('a'), item('b', { model: 'claude-haiku-9' })])).toThrow(
      /^Batch item 1: /,
    );
    expect(codeOf(() => gateway.batch([{ ...item('a'), customId: 'has space' }]))).toBe(
      ERROR_CODES.INVALID_OPTIONS,
    );
    expect(codeOf(() => gateway.batch([item('a', { max_tokens: 0 })]))).toBe(
      ERROR_CODES.INVALID_OPTIONS,
    );
    expect(codeOf(() => gateway.batch([item('a')], { pollIntervalMs: 0 }))).toBe(
      ERROR_CODES.INVALID_OPTIONS,
    );
    expect(sent).toEqual([]);
  });

  it('chunks by request count and by bytes, in order', () => {
    const planned = planItems(
      Array.from({ length: 10 }, (_, index) => item(`t${index}`)),
      defaultCatalog,
    );
    expect(chunkItems(planned, { maxRequests: 4, maxBytes: 1e9 }).map((c) => c.length)).toEqual([
      4, 4, 2,
    ]);
    const bytes = planned[0]!.bytes;
    // Room for three items' JSON (plus the body's own 15 bytes) per batch.
    const byBytes = chunkItems(planned, { maxRequests: 100, maxBytes: 15 + bytes * 3 + 2 });
    expect(byBytes.map((c) => c.length)).toEqual([3, 3, 3, 1]);
    expect(byBytes.flat().map((p) => p.customId)).toEqual(planned.map((p) => p.customId));
    let code: string | undefined;
    try {
      chunkItems(planned, { maxRequests: 100, maxBytes: bytes });
    } catch (error) {
      code = (error as ArmyError).code;
    }
    expect(code).toBe(ERROR_CODES.BATCH_ITEM_TOO_LARGE);
  });

  it("measures each request's line exactly as JSON.stringify makes it, with shared frozen system and tools (property)", () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    const block = fc.record({ type: fc.constant('text'), text });
    const tool = fc.record({
      name: fc.stringMatching(/^[a-z_]{1,12}$/),
      description: text,
      input_schema: fc.record({ type: fc.constant('object') }),
    });
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 3 }),
        fc.array(tool, { maxLength: 3 }),
        fc.array(text, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (system, tools, briefs, freeze) => {
          const shared = freeze
            ? {
                system: Object.freeze(system.map((b) => Object.freeze(b))),
                tools: Object.freeze(tools.map((t) => Object.freeze(t))),
              }
            : { system, tools };
          const items = briefs.map((brief, index) => ({
            ...item(`t${index}`),
            request: {
              model: 'claude-haiku-5-5',
              max_tokens: 64,
              ...shared,
              messages: [{ role: 'user' as const, content: brief }],
            } as never,
          }));
          for (const planned of planItems(items, defaultCatalog)) {
            const line = JSON.stringify({ custom_id: planned.customId, params: planned.request });
            expect(planned.bytes).toBe(Buffer.byteLength(line, 'utf8') + 1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('measures again a shared block that is frozen only on top, after its inside changed', () => {
    const inner = { type: 'ephemeral' as const };
    const block = Object.freeze({ type: 'text' as const, text: 'shared', cache_control: inner });
    const plan = () =>
      planItems(
        [
          {
            ...item('t0'),
            request: {
              model: 'claude-haiku-5-5',
              max_tokens: 64,
              system: [block],
              tools: [],
              messages: [{ role: 'user' as const, content: 'hi' }],
            } as never,
          },
        ],
        defaultCatalog,
      )[0]!;
    const before = plan();
    (inner as { ttl?: string }).ttl = '1h';
    const after = plan();
    const line = JSON.stringify({ custom_id: after.customId, params: after.request });
    expect(after.bytes).toBe(Buffer.byteLength(line, 'utf8') + 1);
    expect(after.bytes).toBeGreaterThan(before.bytes);
  });

  it('reserves at batch prices and never below what the batch tier can bill (property)', () => {
    const model = getModel('claude-haiku-5-5');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 1, max: 4_000 }),
        (inputTokens, written, hour, maxTokens) => {
          const request = {
            max_tokens: maxTokens,
            messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: {} }] }],
            ...(hour ? { cache_control: { type: 'ephemeral', ttl: '1h' } } : {}),
          };
          const bound = inputTokens + written;
          const worst = batchWorstCase(worstCaseCost(model, request, bound));
          // Any split of the prompt into plain, written and read tokens, any output up to max_tokens.
          const usage = {
            input_tokens: inputTokens,
            output_tokens: maxTokens,
            cache_creation_input_tokens: written,
            cache_creation: {
              ephemeral_5m_input_tokens: hour ? 0 : written,
              ephemeral_1h_input_tokens: hour ? written : 0,
            },
            service_tier: 'batch',
          };
          return costOf(model, usage).total <= worst;
        },
      ),
    );
  });

  it('refuses a batch over budget as a whole, saying how many items fit, and holds nothing', () => {
    const perItem = batchWorstCase(
      worstCaseCost(
        getModel('claude-haiku-5-5'),
        item('t0').request,
        inputTokensUpperBound(item('t0').request),
      ),
    );
    const budget = new Budget({ limits: { run: perItem * 7 + 1 } });
    const { gateway, sent } = offlineGateway(budget);
    let error: unknown;
    try {
      gateway.batch(Array.from({ length: 10 }, (_, index) => item(`t${index}`)));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BatchBudgetExceededError);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', itemsThatFit: 7, items: 10 });
    expect((error as Error).message).toMatch(/batch of 10 items.*only the first 7 would fit/);
    expect(budget.status('run', 'run-1')).toMatchObject({ spent: 0, reserved: 0 });
    expect(sent).toEqual([]);
    // The same worst case the gateway would reserve, at half price.
    expect(perItem).toBe(Math.ceil((gateway.worstCase(item('t0').request) + 5) / 2));
    expect(usd(1)).toBeGreaterThan(perItem);
  });
});
