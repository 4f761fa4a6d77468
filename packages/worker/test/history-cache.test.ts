import { defaultCatalog, type LedgerEntry } from '@haiku-army/core';
import {
  countBlockTokens,
  countRequestTokens,
  countToolTokens,
  type MessageRequest,
  type Responder,
  reply,
  toolExchanges,
} from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  buildWorkerRequest,
  createWorker,
  DEFAULT_WORKER_PREAMBLE,
  defineTool,
  WorkerPool,
  type WorkerRequestState,
} from '../src/index.js';
import { HAIKU, lookup, startHarness, useHarness } from './support/harness.js';

const { start } = useHarness();
const haiku = defaultCatalog.get(HAIKU);
const sharedPrefix = `Repository map:\n${'word '.repeat(600)}`;

/** A tool whose result is `tokens` tokens under the fake's counter. */
const chunkTool = (tokens: number) =>
  defineTool({
    name: 'chunk',
    description: 'Returns the next chunk of the document.',
    input: z.object({ n: z.number() }),
    run: ({ n }) => `chunk ${n}: ${'word '.repeat(tokens)}`,
  });

/** Calls `chunk` until it has `chunks` results, then submits. */
const reader =
  (chunks: number): Responder =>
  (request) => {
    const done = toolExchanges(request).length;
    if (done < chunks) return reply.toolUse('chunk', { n: done + 1 });
    return reply.toolUse('submit_result', { status: 'done', summary: `read ${done} chunks` });
  };

/** Indexes of the messages whose last block carries a breakpoint. */
function marked(request: MessageRequest): number[] {
  return request.messages.flatMap((message, index) =>
    typeof message.content !== 'string' && message.content.at(-1)?.cache_control ? [index] : [],
  );
}

/** Prompt tokens of a billed call: input + cache writes + cache reads. */
const promptOf = (entry: LedgerEntry) =>
  entry.usage.inputTokens + entry.usage.cacheWrite5mTokens + entry.usage.cacheReadTokens;

/** Input-side cost (input + cache writes + cache reads) of ledger entries, nano-USD. */
const inputCost = (entries: readonly LedgerEntry[]) =>
  entries.reduce(
    (sum, entry) => sum + entry.cost.input + entry.cost.cacheWrite + entry.cost.cacheRead,
    0,
  );

describe('cached worker history', () => {
  it('call k reads calls 1..k-1 from the cache; the last allowed call writes nothing new', async () => {
    const { fake, gateway, ledger } = await start({ models: { [HAIKU]: reader(5) } });
    const worker = createWorker({
      gateway,
      sharedPrefix,
      tools: [chunkTool(300)],
      limits: { maxTurns: 3 },
    });
    const result = await worker.run({ id: 't', brief: 'Read the document.' });
    expect(result).toMatchObject({ code: 'MAX_TURNS', calls: 3 });
    const requests = fake.transcript.messages(HAIKU);
    // The newest turn is written; the previous call's newest turn is read.
    expect(requests.map(marked)).toEqual([[0], [0, 2], [2]]);
    const totals = requests.map((request) => countRequestTokens(request));
    expect(ledger.entries().map((entry) => entry.usage)).toEqual([
      expect.objectContaining({
        cacheReadTokens: 0,
        cacheWrite5mTokens: totals[0],
        inputTokens: 0,
      }),
      expect.objectContaining({
        cacheReadTokens: totals[0],
        cacheWrite5mTokens: totals[1]! - totals[0]!,
        inputTokens: 0,
      }),
      expect.objectContaining({
        cacheReadTokens: totals[1],
        cacheWrite5mTokens: 0,
        inputTokens: totals[2]! - totals[1]!,
      }),
    ]);
    expect(result.cost.total).toBe(fake.billing.total());
    // The transcript keeps the history without breakpoints.
    const transcript = await worker.transcripts.get(result.transcriptId);
    const history = JSON.stringify(transcript?.messages);
    expect(history).toContain('chunk 2:');
    expect(history).not.toContain('cache_control');
  });

  it('cacheHistory: false on the worker, or on a task, leaves only the shared prefix cached', async () => {
    const { fake, gateway } = await start({ models: { [HAIKU]: reader(2) } });
    const off = createWorker({
      gateway,
      sharedPrefix,
      tools: [chunkTool(300)],
      cacheHistory: false,
    });
    const on = createWorker({ gateway, sharedPrefix, tools: [chunkTool(300)] });
    await off.run({ id: 'worker-off', brief: 'Read.' });
    await on.run({ id: 'task-off', brief: 'Read.', cacheHistory: false });
    await off.run({ id: 'task-on', brief: 'Read.', cacheHistory: true });
    const requests = fake.transcript.messages(HAIKU);
    expect(requests.map(marked)).toEqual([[], [], [], [], [], [], [0], [0, 2], [2, 4]]);
    for (const request of requests.slice(0, 6))
      expect(JSON.stringify(request.messages)).not.toContain('cache_control');
    const sharedTokens = sharedPrefixTokens(requests[0]!);
    const reads = fake.billing.entries.map((entry) => entry.usage.cache_read_input_tokens);
    // The first worker wrote the shared prefix; every other call without history caching reads only it.
    expect(reads.slice(0, 7)).toEqual([0, ...Array(6).fill(sharedTokens)]);
    expect(reads.slice(7)).toEqual([
      countRequestTokens(requests[6]!),
      countRequestTokens(requests[7]!),
    ]);
  });

  it('with warming, N workers still pay one shared-prefix write and N-1 shared-prefix reads; history is written and read per worker', async () => {
    const workers = 4;
    const { fake, gateway, ledger } = await start({ models: { [HAIKU]: reader(2) } });
    const pool = new WorkerPool({
      gateway,
      concurrency: workers,
      sharedPrefix,
      tools: [chunkTool(300)],
    });
    const results = await pool.submitAll(
      Array.from({ length: workers }, (_, index) => ({ id: `t${index}`, brief: `Part ${index}.` })),
    );
    expect(results.map((result) => result.calls)).toEqual(Array(workers).fill(3));
    const requests = fake.transcript.messages(HAIKU);
    const shared = sharedPrefixTokens(requests[0]!);
    expect(shared).toBeGreaterThanOrEqual(haiku.minCacheableTokens);
    // Each call's prompt, counted by the fake's own rule from what was sent.
    const promptByTask = new Map<string, number[]>();
    for (const request of requests) {
      const task = /Part (\d+)\./.exec(JSON.stringify(request.messages[0]))![1]!;
      const list = promptByTask.get(`t${task}`) ?? [];
      list.push(countRequestTokens(request));
      promptByTask.set(`t${task}`, list);
    }
    let sharedWrites = 0;
    let sharedReads = 0;
    for (const [taskId, prompts] of promptByTask) {
      const entries = ledger.entries().filter((entry) => entry.taskId === taskId);
      expect(entries.map(promptOf)).toEqual(prompts);
      const [first, ...later] = entries;
      // First call: the shared prefix is either written (the warmer) or read, exactly.
      if (first!.usage.cacheReadTokens === 0) sharedWrites += 1;
      else {
        expect(first!.usage.cacheReadTokens).toBe(shared);
        sharedReads += 1;
      }
      // History write of the first call: everything after the shared prefix.
      expect(first!.usage.cacheWrite5mTokens).toBe(prompts[0]! - first!.usage.cacheReadTokens);
      // Every later call reads exactly the call before it (shared prefix + history)
      // and writes exactly its own new turn.
      later.forEach((entry, index) => {
        expect(entry.usage.cacheReadTokens).toBe(prompts[index]);
        expect(entry.usage.cacheWrite5mTokens).toBe(prompts[index + 1]! - prompts[index]!);
        expect(entry.usage.inputTokens).toBe(0);
      });
    }
    expect({ sharedWrites, sharedReads }).toEqual({ sharedWrites: 1, sharedReads: workers - 1 });
    expect(ledger.spent()).toBe(fake.billing.total());
  });

  it('a 6-turn worker with ~2,000-token tool results pays at most 55% of the input cost it pays without', async () => {
    const runOnce = async (cacheHistory: boolean) => {
      const harness = await startHarness({ models: { [HAIKU]: reader(5) } });
      try {
        const result = await createWorker({
          gateway: harness.gateway,
          tools: [chunkTool(2_000)],
          cacheHistory,
        }).run({ id: 'reader', brief: 'Read the five chunks, then submit.' });
        expect(result).toMatchObject({ status: 'done', calls: 6 });
        expect(harness.ledger.spent()).toBe(harness.fake.billing.total());
        return inputCost(harness.ledger.entries());
      } finally {
        await harness.close();
      }
    };
    const off = await runOnce(false);
    const on = await runOnce(true);
    expect(on / off).toBeLessThanOrEqual(0.55);
    expect(on / off).toBeGreaterThan(0.4); // what the prices allow: about 48%
  });

  it('a worker without tools of its own does not cache its history', async () => {
    const { fake, gateway } = await start({
      models: { [HAIKU]: () => reply.text('an answer without a submission') },
    });
    await createWorker({ gateway, sharedPrefix }).run({
      id: 't',
      brief: 'Answer.',
      output: z.object({ n: z.number() }),
    });
    expect(fake.transcript.messages(HAIKU).map(marked)).toEqual([[], []]);
  });
});

/** Tools and system through the shared prefix's breakpoint, under the fake's counter. */
function sharedPrefixTokens(request: MessageRequest): number {
  const tools = (request.tools ?? []).reduce((sum, tool) => sum + countToolTokens(tool), 0);
  const system = Array.isArray(request.system)
    ? request.system.reduce((sum, block) => sum + countBlockTokens(block), 0)
    : 0;
  return tools + system;
}

describe('buildWorkerRequest', () => {
  const tools = [lookup.toApiTool()];
  const big = 'word '.repeat(2_000);
  const state = (overrides: Partial<WorkerRequestState> = {}): WorkerRequestState => ({
    model: haiku,
    maxOutputTokens: 1_000,
    system: [{ type: 'text', text: DEFAULT_WORKER_PREAMBLE }],
    tools,
    messages: [
      { role: 'user', content: big },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'lookup', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'value' }] },
    ],
    ...overrides,
  });
  const marks = (request: ReturnType<typeof buildWorkerRequest>) =>
    marked(request as unknown as MessageRequest);

  it('builds the request the worker sends, without changing the messages it was given', () => {
    const input = state();
    const before = JSON.stringify(input.messages);
    const request = buildWorkerRequest(input);
    expect(JSON.stringify(input.messages)).toBe(before);
    expect(request).toMatchObject({ model: HAIKU, max_tokens: 1_000, tools });
    expect(request.tool_choice).toBeUndefined();
    expect(marks(request)).toEqual([0, 2]);
    expect(request.messages[0]).toEqual({
      role: 'user',
      content: [{ type: 'text', text: big, cache_control: { type: 'ephemeral' } }],
    });
  });

  it('on the last turn forces submit_result and only reads the previous mark', () => {
    const request = buildWorkerRequest(state({ lastTurn: true }));
    expect(request.tool_choice).toEqual({ type: 'tool', name: 'submit_result' });
    expect(marks(request)).toEqual([0]);
  });

  it('stays within four breakpoints, counting the ones already in the prompt', () => {
    const cached = (text: string) => ({
      type: 'text' as const,
      text,
      cache_control: { type: 'ephemeral' as const },
    });
    expect(marks(buildWorkerRequest(state({ system: [cached('a'), cached('b')] })))).toEqual([
      0, 2,
    ]);
    expect(
      marks(buildWorkerRequest(state({ system: [cached('a'), cached('b'), cached('c')] }))),
    ).toEqual([2]);
    expect(
      marks(
        buildWorkerRequest(state({ system: [cached('a'), cached('b'), cached('c'), cached('d')] })),
      ),
    ).toEqual([]);
  });

  it('adds no breakpoint below the model’s minimum cacheable length, or when turned off', () => {
    const small = state({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: 'Hi.' }],
    });
    expect(marks(buildWorkerRequest(small))).toEqual([]);
    expect(marks(buildWorkerRequest(state({ cacheHistory: false })))).toEqual([]);
  });
});
