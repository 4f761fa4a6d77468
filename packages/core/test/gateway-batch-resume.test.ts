import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import {
  type BatchItem,
  Budget,
  CostLedger,
  createGateway,
  MemoryLedgerStore,
  usd,
} from '../src/index.js';
import { BATCH_BASE_URL, type MiniBatches, miniBatches } from './support/mini-batches.js';

function item(taskId: string): BatchItem {
  return {
    request: {
      model: 'claude-haiku-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: `Task ${taskId}` }],
    },
    attribution: { runId: 'run-1', taskId, role: 'worker' },
  };
}

const fast = { pollIntervalMs: 1, maxPollIntervalMs: 1 };

function gatewayFor(api: MiniBatches, budget?: Budget, ledger?: CostLedger) {
  return createGateway({
    client: new Anthropic({ apiKey: 'k', baseURL: BATCH_BASE_URL, fetch: api.fetch }),
    ...(budget ? { budget } : {}),
    ...(ledger ? { ledger } : {}),
    maxAttempts: 2,
    retryBaseDelayMs: 1,
  });
}

describe('resumeBatch never records a result twice', () => {
  it('skips results this gateway already collected', async () => {
    const api = miniBatches();
    const budget = new Budget({ limits: { run: usd(10) } });
    const gateway = gatewayFor(api, budget);
    let submission: { batchId: string; attributions: Record<string, never> } | undefined;
    const run = gateway.batch([item('a'), item('b')], {
      ...fast,
      onSubmitted: (s) => {
        submission = s as never;
        api.end();
      },
    });
    const first = await run.result;
    const spent = budget.status('run', 'run-1')!.spent;
    const again = await gateway.resumeBatch(submission!.batchId, submission!.attributions, fast)
      .result;
    expect(gateway.ledger.entries()).toHaveLength(2);
    expect(again.cost).toBe(0);
    expect(again.outcomes.every((o) => o.status === 'succeeded' && o.alreadyRecorded)).toBe(true);
    expect(budget.status('run', 'run-1')).toMatchObject({ spent, reserved: 0 });
    expect(first.cost).toBe(spent);
  });

  it('skips results a loaded durable ledger already has (a new process)', async () => {
    const api = miniBatches();
    const store = new MemoryLedgerStore();
    const first = gatewayFor(api, undefined, new CostLedger({ store }));
    let submission: { batchId: string; attributions: Record<string, never> } | undefined;
    await first.batch([item('a'), item('b')], {
      ...fast,
      onSubmitted: (s) => {
        submission = s as never;
        api.end();
      },
    }).result;
    const ledger = await new CostLedger({ store }).load();
    expect(ledger.entries()[0]).toMatchObject({ batchId: submission!.batchId });
    const second = gatewayFor(api, undefined, ledger);
    const result = await second.resumeBatch(submission!.batchId, submission!.attributions, fast)
      .result;
    expect(result.cost).toBe(0);
    expect(ledger.entries()).toHaveLength(2);
  });
});

describe('resumeBatch in a new process with a budget', () => {
  async function submitted(api: MiniBatches) {
    const first = gatewayFor(api);
    let submission: { batchId: string; attributions: Record<string, never> } | undefined;
    const items = [item('a'), item('b'), item('c')];
    const run = first.batch(items, {
      ...fast,
      onSubmitted: (s) => {
        submission = s as never;
      },
    });
    while (!submission) await new Promise((resolve) => setTimeout(resolve, 1));
    return { submission, run, items, first };
  }

  it('reserves the worst case of the listed requests before waiting, then settles', async () => {
    const api = miniBatches();
    const { submission, items, first } = await submitted(api);
    const perItem = Math.ceil((first.worstCase(items[0]!.request) + 5) / 2);
    const budget = new Budget({ limits: { run: usd(10) } });
    const second = gatewayFor(api, budget);
    const requestsByCustomId = Object.fromEntries(
      Object.keys(submission.attributions).map((id, index) => [id, items[index]!.request]),
    );
    const run = second.resumeBatch(submission.batchId, submission.attributions, {
      ...fast,
      requestsByCustomId,
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: perItem * 3, spent: 0 });
    api.end();
    const result = await run.result;
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: result.cost });
  });

  it('refuses with a coded error naming how many fit when the worst case does not fit', async () => {
    const api = miniBatches();
    const { submission, items, first, run } = await submitted(api);
    const perItem = Math.ceil((first.worstCase(items[0]!.request) + 5) / 2);
    const budget = new Budget({ limits: { run: perItem * 2 + 1 } });
    const second = gatewayFor(api, budget);
    const requestsByCustomId = new Map(
      Object.keys(submission.attributions).map((id, index) => [id, items[index]!.request]),
    );
    let error: unknown;
    try {
      second.resumeBatch(submission.batchId, submission.attributions, { requestsByCustomId });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', itemsThatFit: 2, items: 3 });
    expect((error as Error).message).toMatch(/resuming a batch/);
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: 0 });
    api.end();
    await run.result;
  });
});

describe('resumeBatch of an unknown id', () => {
  it('fails with BATCH_NOT_FOUND and gives back what it reserved', async () => {
    const api = miniBatches();
    const budget = new Budget({ limits: { run: usd(10) } });
    const gateway = gatewayFor(api, budget);
    const run = gateway.resumeBatch(
      'msgbatch_404',
      { 'run-1_a_1': { runId: 'run-1', taskId: 'a', role: 'worker' } },
      { requestsByCustomId: { 'run-1_a_1': item('a').request } },
    );
    await expect(run.result).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND' });
    expect(budget.status('run', 'run-1')).toMatchObject({ reserved: 0, spent: 0 });
  });
});
