import { costOf, type LedgerEntry } from '@haiku-army/core';
import { createArmy, type RunResult, subtaskCustomId } from '@haiku-army/orchestrator';
import {
  type FakeAnthropicServer,
  reply,
  type StartFakeAnthropicOptions,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';

// Issue 11, "Done when": batch mode on a 500-item army.map costs half of the
// same map run interactively (exactly the batch-tier price of the same
// usages), in the ledger and in the fake's billing log; items the fake marks
// `errored` are retried interactively and billed at the standard price.

const ITEMS = Array.from(
  { length: 500 },
  (_, index) => `ticket ${index}: ${'jam '.repeat(index % 13)}`,
);

const servers: FakeAnthropicServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The fake over HTTP with a worker that labels each ticket (its output length varies by ticket). */
async function fake(options: StartFakeAnthropicOptions = {}): Promise<FakeAnthropicServer> {
  const server = await startFakeAnthropic({
    latency: 0,
    batchProcessingMs: 20,
    // 500 interactive calls reserve 4,096 output tokens each: room for them all at once.
    defaultLimits: { otpm: 100_000_000 },
    defaultResponder: (request) => {
      const text = JSON.stringify(request.messages[0]);
      const index = Number(/ticket (\d+)/.exec(text)![1]);
      return reply.toolUse('submit_result', {
        status: 'done',
        summary: `Ticket ${index} is about ${'printers '.repeat((index % 7) + 1).trim()}.`,
        data: { label: index % 4 },
      });
    },
    ...options,
  });
  servers.push(server);
  return server;
}

async function mapTickets(
  server: FakeAnthropicServer,
  mode: 'interactive' | 'batch',
): Promise<{ result: RunResult; entries: LedgerEntry[] }> {
  const army = createArmy({
    baseURL: server.url,
    apiKey: 'test-key',
    mode,
    batchPollIntervalMs: 20,
    concurrency: mode === 'batch' ? undefined : 32,
  });
  const result = await army.map(ITEMS, (ticket) => `Label this support ticket. ${ticket}`);
  return { result, entries: army.ledger.entries({ runId: result.runId }) };
}

const byTask = (entries: readonly LedgerEntry[]) =>
  new Map(entries.map((entry) => [entry.taskId, entry]));

const { serviceTier: _tier, ...usageKeys } = {
  serviceTier: '',
  inputTokens: 0,
  outputTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cacheReadTokens: 0,
};
const tokens = (entry: LedgerEntry) =>
  Object.fromEntries(Object.keys(usageKeys).map((key) => [key, entry.usage[key as 'inputTokens']]));

const batchPrice = (entry: LedgerEntry) =>
  costOf(entry.model, { ...entry.usage, serviceTier: 'batch' }).total;
const standardPrice = (entry: LedgerEntry) =>
  costOf(entry.model, { ...entry.usage, serviceTier: 'standard' }).total;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('batch mode on a 500-item army.map', () => {
  it('costs exactly the batch-tier price of the interactive run’s usages: half, in the ledger and the bill', async () => {
    const interactiveFake = await fake();
    const batchFake = await fake();
    const interactive = await mapTickets(interactiveFake, 'interactive');
    const batch = await mapTickets(batchFake, 'batch');
    for (const run of [interactive, batch]) {
      expect(run.result.status).toBe('done');
      expect(run.entries).toHaveLength(500);
    }
    // One batch for the whole wave, no interactive worker call.
    const creates = batchFake.transcript.entries.filter(
      (entry) => entry.method === 'POST' && entry.path === '/v1/messages/batches',
    );
    expect(creates).toHaveLength(1);
    expect(batch.entries.every((entry) => entry.batchId !== undefined)).toBe(true);
    expect(batchFake.billing.entries.every((entry) => entry.batchId !== undefined)).toBe(true);

    // The same usages item by item, so the same work.
    const interactiveByTask = byTask(interactive.entries);
    for (const entry of batch.entries)
      expect(tokens(entry)).toEqual(tokens(interactiveByTask.get(entry.taskId)!));

    // The ledger: every batch entry at the batch tier of its usage, and half the interactive run.
    const batchTotal = batch.result.cost.total;
    expect(batchTotal).toBe(sum(interactive.entries.map(batchPrice)));
    expect(batchTotal * 2).toBe(interactive.result.cost.total);
    expect(batch.result.cost.batchSaving).toBe(interactive.result.cost.total - batchTotal);
    expect(interactive.result.cost.batchSaving).toBe(0);
    // The bill agrees to the nano-dollar.
    expect(batchFake.billing.total()).toBe(batchTotal);
    expect(interactiveFake.billing.total()).toBe(interactive.result.cost.total);
    expect(batchFake.billing.total() * 2).toBe(interactiveFake.billing.total());
  });

  it('retries the requests the fake marks errored interactively, at the standard price', async () => {
    const server = await fake({ seed: 11, batchFaults: { errored: 0.1 } });
    const { result, entries } = await mapTickets(server, 'batch');
    expect(result.status).toBe('done');
    expect(entries).toHaveLength(500);
    const errored = new Set(
      server.transcript.entries
        .filter((entry) => entry.source === 'batch' && entry.status === 500)
        .map((entry) => entry.customId),
    );
    expect(errored.size).toBeGreaterThan(20);
    expect(errored.size).toBeLessThan(90);
    const retried = entries.filter((entry) => entry.batchId === undefined);
    expect(
      new Set(retried.map((entry) => subtaskCustomId(entry.taskId, 1, 1, result.runId))),
    ).toEqual(errored);
    for (const entry of retried) {
      expect(entry.usage.serviceTier).toBe('standard');
      expect(entry.cost.total).toBe(standardPrice(entry));
    }
    for (const entry of entries.filter((candidate) => candidate.batchId !== undefined))
      expect(entry.cost.total).toBe(batchPrice(entry));
    // The bill: every item once, the errored ones interactively at the standard price.
    expect(server.billing.entries).toHaveLength(500);
    const interactiveBills = server.billing.entries.filter((entry) => entry.batchId === undefined);
    expect(interactiveBills).toHaveLength(errored.size);
    expect(sum(interactiveBills.map((entry) => entry.cost.total))).toBe(
      sum(retried.map(standardPrice)),
    );
    expect(server.billing.total()).toBe(result.cost.total);
    expect(result.cost.total).toBe(
      sum(entries.map((entry) => (entry.batchId ? batchPrice(entry) : standardPrice(entry)))),
    );
  });
});
