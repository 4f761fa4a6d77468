import { Budget, estimateTextTokens, type LedgerEntry } from '@haiku-army/core';
import { type Responder, reply, toolExchanges } from '@haiku-army/testing';
import { describe, expect, it, vi } from 'vitest';
import { createWorker, WorkerPool, type WorkerTranscript } from '../src/index.js';
import { HAIKU, lookup, useHarness } from './support/harness.js';

const { start } = useHarness();

/** One lookup, then a submission. */
const lookupThenSubmit: Responder = (request) =>
  toolExchanges(request).length === 0
    ? reply.toolUse('lookup', { key: 'a' })
    : reply.toolUse('submit_result', { status: 'done', summary: 'found a' });

const longAnswer = 'word '.repeat(5_000);

describe('streaming workers', () => {
  it('stream: true sends every call through gateway.stream, with the same result and cost', async () => {
    const { fake, gateway, ledger } = await start({ models: { [HAIKU]: lookupThenSubmit } });
    const result = await createWorker({ gateway, tools: [lookup], stream: true }).run({
      id: 't',
      brief: 'Find a.',
    });
    expect(result).toMatchObject({ status: 'done', summary: 'found a', calls: 2, toolCalls: 1 });
    expect(fake.billing.entries.map((entry) => entry.stream)).toEqual([true, true]);
    expect(result.cost.total).toBe(fake.billing.total());
    expect(ledger.spent()).toBe(fake.billing.total());
  });

  it("a task's stream overrides the worker's", async () => {
    const { fake, gateway } = await start({ models: { [HAIKU]: () => reply.text('ok') } });
    const worker = createWorker({ gateway });
    await worker.run({ id: 'a', brief: 'x', stream: true });
    await worker.run({ id: 'b', brief: 'x' });
    expect(fake.billing.entries.map((entry) => entry.stream)).toEqual([true, false]);
    const streaming = createWorker({ gateway, stream: true });
    await streaming.run({ id: 'c', brief: 'x', stream: false });
    expect(fake.billing.entries.map((entry) => entry.stream)).toEqual([true, false, false]);
  });

  it('a stream whose cost stays under maxCost runs to its end', async () => {
    const { fake, gateway } = await start({ models: { [HAIKU]: () => reply.text('short') } });
    const result = await createWorker({
      gateway,
      stream: true,
      limits: { maxCost: 10_000_000 },
    }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({ status: 'done', summary: 'short', calls: 1 });
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('stops a stream whose running output would pass maxCost, keeping the partial text', async () => {
    const maxCost = 1_000_000;
    const budget = new Budget({ limits: { run: 100_000_000 } });
    // Paced output (about 1 ms per 8-token delta), as a real stream arrives while it is generated.
    const { fake, gateway, ledger } = await start(
      { models: { [HAIKU]: () => reply.text(longAnswer) }, latency: { perOutputTokenMs: 0.01 } },
      { budget },
    );
    const worker = createWorker({ gateway, stream: true, limits: { maxCost } });
    const result = await worker.run({ id: 't', brief: 'Write at length.' });
    expect(result).toMatchObject({ status: 'failed', code: 'MAX_COST', turns: 1 });
    const match =
      /^Stopped the streamed call after about (\d+) output tokens: its input \((\d+) nano-USD\) and output so far \((\d+) nano-USD\) came to (\d+) nano-USD, more than the 1000000 left of the worker's maxCost of 1000000 \(0 spent before this call\)\./.exec(
        result.reason ?? '',
      );
    expect(match).not.toBeNull();
    const [tokens, input, output, total] = match!.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    expect(output).toBe(tokens * 500); // claude-haiku-5-5 output: 500 nano-USD per token
    expect(total).toBe(input + output);
    expect(total).toBeGreaterThan(maxCost);
    // It stopped at the first delta that passed the cap: well before the whole answer.
    expect(tokens).toBeLessThan(estimateTextTokens(longAnswer) / 2);
    // The partial text is kept: in the transcript, and (within the cap) as the summary.
    const transcript = (await worker.transcripts.get(result.transcriptId)) as WorkerTranscript;
    const partial = transcript.messages.at(-1) as {
      role: string;
      content: { type: string; text: string }[];
    };
    expect(partial.role).toBe('assistant');
    const partialText = partial.content[0]!.text;
    expect(longAnswer.startsWith(partialText)).toBe(true);
    expect(estimateTextTokens(partialText)).toBe(tokens);
    expect(result.summary.startsWith('word word')).toBe(true);
    // The aborted call's ledger entry, per core's contract for client-aborted
    // streams (contracts.md, C2): the gateway records it with `estimated: true`
    // and rejects with AbortError carrying it as `error.entry`; the worker counts it.
    const entry = (result.error as { entry?: LedgerEntry } | undefined)?.entry;
    expect(result.error).toMatchObject({ code: 'ABORTED' });
    expect(entry).toMatchObject({ estimated: true, taskId: 't' });
    expect(entry!.usage.outputTokens).toBe(tokens);
    expect(result.calls).toBe(1);
    expect(result.cost).toEqual(entry!.cost);
    expect(result.cost.total).toBe(total);
    expect(ledger.entries()).toEqual([entry]);
    // The fake never finished the response: it billed the aborted stream as such,
    // for the same input the ledger's estimate priced (once its server sees the disconnect).
    await vi.waitFor(() => expect(fake.billing.entries).toHaveLength(1));
    expect(fake.billing.entries).toEqual([expect.objectContaining({ aborted: true })]);
    expect(fake.billing.entries[0]!.usage.input_tokens).toBe(entry!.usage.inputTokens);
    // Nothing stays reserved in the budget either way.
    expect(budget.status('run', worker.runId)?.reserved).toBe(0);
  });

  it('a timeout mid-stream ends TIMEOUT (not MAX_COST), counting the aborted call when core records it', async () => {
    const { gateway } = await start({
      models: { [HAIKU]: () => reply.text(longAnswer) },
      latency: { perOutputTokenMs: 0.2 }, // about 2 ms per delta: far longer than the timeout
    });
    const result = await createWorker({
      gateway,
      stream: true,
      limits: { timeoutMs: 300, maxCost: 100_000_000 },
    }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({ status: 'failed', code: 'TIMEOUT', turns: 1 });
    // Core's contract (C2): the aborted stream's estimated entry rides on the AbortError.
    const entry = (result.error as { entry?: LedgerEntry } | undefined)?.entry;
    expect(result.calls).toBe(entry === undefined ? 0 : 1);
    expect(result.cost.total).toBe(entry?.cost.total ?? 0);
  });

  it('a streaming pool with warming still writes the shared prefix once', async () => {
    const sharedPrefix = `Repository map:\n${'word '.repeat(600)}`;
    const { fake, gateway } = await start({ models: { [HAIKU]: () => reply.text('summary') } });
    const pool = new WorkerPool({ gateway, concurrency: 6, sharedPrefix, stream: true });
    const results = await pool.submitAll(
      Array.from({ length: 6 }, (_, index) => ({ id: `t${index}`, brief: `Part ${index}.` })),
    );
    expect(results.every((result) => result.status === 'done')).toBe(true);
    const usages = fake.billing.entries.map((entry) => entry.usage);
    expect(usages.filter((usage) => usage.cache_creation_input_tokens > 0)).toHaveLength(1);
    expect(usages.filter((usage) => usage.cache_read_input_tokens > 0)).toHaveLength(5);
  });
});
