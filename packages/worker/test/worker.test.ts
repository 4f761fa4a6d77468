import {
  type CallOptions,
  ERROR_CODES,
  estimateTextTokens,
  type ModelGateway,
} from '@haiku-army/core';
import { reply, toolExchanges } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  createWorker,
  DEFAULT_WORKER_PREAMBLE,
  defineTool,
  MemoryTranscriptStore,
  ToolError,
  WORKER_STOP_CODES,
  type WorkerTranscript,
} from '../src/index.js';
import { briefOf, HAIKU, lastUserBlocks, lookup, useHarness } from './support/harness.js';

const { script: start } = useHarness();

describe('Worker', () => {
  it('a task without an output schema answered in plain text costs exactly one call', async () => {
    const { fake, gateway, ledger } = await start(
      reply.text('There are 3 TODOs, all in src/math.ts.'),
    );
    const worker = createWorker({ gateway, runId: 'run-1' });
    const result = await worker.run({ id: 'todos', brief: 'Count the TODOs.' });
    expect(result).toMatchObject({
      taskId: 'todos',
      status: 'done',
      summary: 'There are 3 TODOs, all in src/math.ts.',
      turns: 1,
      calls: 1,
      toolCalls: 0,
      toolErrors: 0,
      toolErrorMessages: [],
      model: HAIKU,
    });
    expect(result.code).toBeUndefined();
    expect(fake.billing.entries).toHaveLength(1);
    expect(result.cost).toEqual(fake.billing.entries[0]!.cost);
    expect(result.cost.total).toBe(fake.billing.total());
    expect(result.usage.inputTokens).toBe(fake.billing.entries[0]!.usage.input_tokens);
    expect(ledger.entries()).toEqual([
      expect.objectContaining({ runId: 'run-1', taskId: 'todos', role: 'worker', model: HAIKU }),
    ]);
  });

  it('sends preamble and cached shared prefix as system, the four-part brief as the user message', async () => {
    const { fake, gateway, ledger } = await start(reply.text('ok'));
    const worker = createWorker({
      gateway,
      sharedPrefix: 'REPO MAP\nsrc/a.ts\nsrc/b.ts',
      tools: [lookup],
    });
    await worker.run({
      id: 't1',
      brief: {
        objective: 'Find the entry point.',
        outputFormat: 'The path of the file.',
        guidance: 'Use lookup.',
        boundaries: 'Do not read tests.',
      },
      parentTaskId: 'plan-1',
      tags: ['team:search'],
    });
    const [request] = fake.transcript.messages(HAIKU);
    expect(request!.system).toEqual([
      { type: 'text', text: DEFAULT_WORKER_PREAMBLE },
      { type: 'text', text: 'REPO MAP\nsrc/a.ts\nsrc/b.ts', cache_control: { type: 'ephemeral' } },
    ]);
    expect(request!.messages).toHaveLength(1);
    expect(briefOf(request!)).toBe(
      [
        '# Objective\nFind the entry point.',
        '# Output format\nThe path of the file.\n\nKeep the summary under 300 tokens (about 225 words): findings, not your process.',
        '# Tools and sources\nUse lookup.',
        '# Boundaries\nDo not read tests.',
      ].join('\n\n'),
    );
    expect(request!.tools!.map((tool) => tool.name)).toEqual(['lookup', 'submit_result']);
    expect(request!.tool_choice).toBeUndefined();
    expect(DEFAULT_WORKER_PREAMBLE).toMatch(/never try to delegate, spawn/);
    expect(ledger.entries()[0]).toMatchObject({
      parentTaskId: 'plan-1',
      tags: ['team:search'],
    });
  });

  it('runs tools and ends on submit_result with validated data', async () => {
    const { fake, gateway } = await start(
      reply.toolUse('lookup', { key: 'entry' }),
      reply.toolUse('submit_result', {
        status: 'done',
        summary: 'Entry is src/index.ts.',
        data: { path: 'src/index.ts' },
      }),
    );
    const worker = createWorker({ gateway, tools: [lookup] });
    const result = await worker.run({
      id: 't1',
      brief: 'Find the entry point.',
      output: z.object({ path: z.string() }),
    });
    expect(result).toMatchObject({
      status: 'done',
      summary: 'Entry is src/index.ts.',
      data: { path: 'src/index.ts' },
      calls: 2,
      toolCalls: 1,
    });
    const second = fake.transcript.messages(HAIKU)[1]!;
    expect(toolExchanges(second)).toEqual([
      expect.objectContaining({
        name: 'lookup',
        input: { key: 'entry' },
        result: 'value of entry',
      }),
    ]);
    expect(briefOf(second)).toContain('"path"');
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('runs several tool calls of one turn concurrently', async () => {
    let started = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const barrier = defineTool({
      name: 'barrier',
      description: 'Waits until two calls are running.',
      input: z.object({ id: z.number() }),
      async run({ id }) {
        started += 1;
        if (started === 2) release();
        await bothStarted;
        return `done ${id}`;
      },
    });
    const { fake, gateway } = await start(
      reply.toolCalls([
        { name: 'barrier', input: { id: 1 } },
        { name: 'barrier', input: { id: 2 } },
      ]),
      reply.text('both done'),
    );
    const worker = createWorker({ gateway, tools: [barrier], limits: { timeoutMs: 10_000 } });
    const result = await worker.run({ id: 't1', brief: 'Run both.' });
    expect(result).toMatchObject({ status: 'done', calls: 2, toolCalls: 2 });
    const results = lastUserBlocks(fake.transcript.messages(HAIKU)[1]!);
    expect(results.map((block) => block.content)).toEqual(['done 1', 'done 2']);
  });

  it('answers every tool_use of a turn with one tool_result, in order, submit_result included', async () => {
    const { fake, gateway } = await start(
      reply.toolCalls([
        { name: 'lookup', input: { key: 'a' } },
        { name: 'submit_result', input: { status: 'done', summary: 'word '.repeat(80) } },
        { name: 'lookup', input: { key: 'b' } },
        { name: 'submit_result', input: { status: 'done', summary: 'Second.' } },
      ]),
      reply.toolUse('submit_result', { status: 'done', summary: 'Short.' }),
    );
    const result = await createWorker({ gateway, tools: [lookup], summaryTokenCap: 20 }).run({
      id: 't1',
      brief: 'Look.',
    });
    expect(result).toMatchObject({ status: 'done', summary: 'Short.', calls: 2, toolCalls: 2 });
    const second = fake.transcript.messages(HAIKU)[1]!;
    const uses = second.messages[1]!.content as Record<string, unknown>[];
    const results = lastUserBlocks(second);
    expect(results.map((block) => block.tool_use_id)).toEqual(uses.map((use) => use.id));
    expect(results.map((block) => [block.is_error, block.content])).toEqual([
      [false, 'value of a'],
      [true, expect.stringMatching(/^The summary is about \d+ tokens; the limit is 20\./)],
      [false, 'value of b'],
      [true, 'Only one submit_result call per turn is read.'],
    ]);
  });

  it('sends tool errors, invalid input and unknown tools back as is_error results', async () => {
    const flaky = defineTool({
      name: 'flaky',
      description: 'Fails.',
      input: z.object({ mode: z.enum(['tool', 'crash']) }),
      run: ({ mode }) => {
        throw mode === 'tool'
          ? new ToolError('No such key; try list first.')
          : new TypeError('boom');
      },
    });
    const { fake, gateway } = await start(
      reply.toolCalls([
        { name: 'flaky', input: { mode: 'tool' } },
        { name: 'flaky', input: { mode: 'crash' } },
        { name: 'flaky', input: { mode: 'nope' } },
        { name: 'teleport', input: {} },
      ]),
      reply.toolUse('submit_result', { status: 'failed', summary: 'Every tool failed.' }),
    );
    const result = await createWorker({ gateway, tools: [flaky] }).run({ id: 't1', brief: 'Try.' });
    expect(result).toMatchObject({
      status: 'failed',
      summary: 'Every tool failed.',
      calls: 2,
      toolCalls: 4,
      toolErrors: 4,
      toolErrorMessages: [
        'flaky: No such key; try list first.',
        'flaky: Tool "flaky" failed: boom',
        'flaky: Invalid input for tool "flaky": ✖ Invalid option: expected one of "tool"|"crash" → at mode',
      ],
    });
    expect(result.reason).toMatch(/reported that it could not do the task/);
    const blocks = lastUserBlocks(fake.transcript.messages(HAIKU)[1]!);
    expect(blocks.map((block) => [block.is_error, block.content])).toEqual([
      [true, 'No such key; try list first.'],
      [true, 'Tool "flaky" failed: boom'],
      [
        true,
        expect.stringMatching(
          /^Invalid input for tool "flaky":\n✖ Invalid option: expected one of "tool"\|"crash"\n {2}→ at mode$/,
        ),
      ],
      [true, 'Unknown tool "teleport". Available tools: flaky, submit_result.'],
    ]);
  });

  it('a tool input with an async refinement is validated, not a crash', async () => {
    const checked = defineTool({
      name: 'checked',
      description: 'Checks its key asynchronously.',
      input: z.object({ key: z.string().refine(async (key) => key !== 'bad', 'key is bad') }),
      run: ({ key }) => `ok ${key}`,
    });
    const { fake, gateway } = await start(
      reply.toolCalls([
        { name: 'checked', input: { key: 'bad' } },
        { name: 'checked', input: { key: 'good' } },
      ]),
      reply.text('checked both'),
    );
    const result = await createWorker({ gateway, tools: [checked] }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({ status: 'done', calls: 2, toolCalls: 2 });
    const blocks = lastUserBlocks(fake.transcript.messages(HAIKU)[1]!);
    expect(blocks.map((block) => [block.is_error, block.content])).toEqual([
      [true, 'Invalid input for tool "checked":\n✖ key is bad\n  → at key'],
      [false, 'ok good'],
    ]);
  });

  it('keeps the transcript in the store and only the result travels up', async () => {
    const transcripts = new MemoryTranscriptStore();
    const { gateway } = await start(reply.toolUse('lookup', { key: 'a' }), reply.text('found a'));
    const result = await createWorker({ gateway, tools: [lookup], transcripts }).run({
      id: 't1',
      brief: 'Find a.',
    });
    const transcript = transcripts.get(result.transcriptId) as WorkerTranscript;
    expect(transcript).toMatchObject({
      taskId: 't1',
      status: 'done',
      tools: ['lookup', 'submit_result'],
    });
    expect(transcript.messages).toHaveLength(4);
    expect(Object.keys(result)).not.toContain('messages');
    expect(JSON.stringify(result)).not.toContain('value of a');
  });

  it('names caller mistakes', async () => {
    const { gateway } = await start(reply.text('x'));
    expect(() => createWorker({} as never)).toThrow(
      'Expected `gateway` to be a ModelGateway (e.g. createGateway()), got undefined.',
    );
    expect(() => createWorker({ gateway, model: 'claude-nope' })).toThrow(/Unknown model/);
    expect(() => createWorker({ gateway, tools: [lookup, lookup] })).toThrow('`tools[1].name`');
    expect(() => createWorker({ gateway, stream: 'yes' as never })).toThrow(
      'Expected `stream` to be a boolean, got "yes".',
    );
    expect(() => createWorker({ gateway, cacheHistory: 0 as never })).toThrow(
      'Expected `cacheHistory` to be a boolean, got 0.',
    );
    expect(() => createWorker({ gateway, limits: { maxTurns: 0 } })).toThrow(
      'Expected `limits.maxTurns` to be an integer >= 1, got 0.',
    );
    expect(() => createWorker({ gateway, limits: { timeoutMs: 2 ** 31 } })).toThrow(
      'Expected `limits.timeoutMs` to be a number of ms > 0 and <= 2147483647 (Infinity for none), got 2147483648.',
    );
    const worker = createWorker({ gateway, tools: [lookup] });
    await expect(worker.run({ id: 't', brief: 'x', tools: [lookup] })).rejects.toThrow(
      'Expected `task.tools[0].name` to be a name the worker\'s own tools do not use, got "lookup".',
    );
    await expect(worker.run({ id: 't', brief: { objective: ' ' } })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'Expected `task.brief.objective` to be a non-empty string, got " ".',
    });
    await expect(worker.run({ id: '', brief: 'x' })).rejects.toThrow('`task.id`');
    await expect(
      worker.run({ id: 't', brief: 'x', cacheHistory: 'no' as never }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: 'Expected `task.cacheHistory` to be a boolean, got "no".',
    });
    await expect(worker.run({ id: 't', brief: 'x', model: 'gpt-9' })).rejects.toMatchObject({
      code: 'UNKNOWN_MODEL',
    });
  });
});

describe('run attribution', () => {
  it("a task's runId (WorkerTask.runId, contracts.md) attributes its calls, tools and transcript", async () => {
    let toolRunId: string | undefined;
    const probe = defineTool({
      name: 'probe',
      description: 'Reports its run.',
      input: z.object({}),
      run: (_input, context) => {
        toolRunId = context.runId;
        return 'ok';
      },
    });
    const { gateway, ledger } = await start(reply.toolUse('probe', {}), reply.text('done'));
    const worker = createWorker({ gateway, tools: [probe], runId: 'worker-run' });
    const task = { id: 't', brief: 'x', runId: 'task-run' };
    const result = await worker.run(task);
    expect(ledger.entries().map((entry) => entry.runId)).toEqual(['task-run', 'task-run']);
    expect(toolRunId).toBe('task-run');
    expect(await worker.transcripts.get(result.transcriptId)).toMatchObject({ runId: 'task-run' });
    await expect(worker.run({ id: 't', brief: 'x', runId: '' } as never)).rejects.toThrow(
      'Expected `task.runId` to be a non-empty string, got "".',
    );
  });
});

describe('tool errors on the result', () => {
  it('counts only failed tool calls and cuts long messages', async () => {
    const picky = defineTool({
      name: 'picky',
      description: 'Fails on long keys.',
      input: z.object({ key: z.string() }),
      run: ({ key }) => {
        if (key.length > 3) throw new ToolError(`Key too long: ${key}`);
        return 'ok';
      },
    });
    const { gateway } = await start(
      reply.toolCalls([
        { name: 'picky', input: { key: 'abc' } },
        { name: 'picky', input: { key: 'x'.repeat(500) } },
      ]),
      reply.text('done'),
    );
    const result = await createWorker({ gateway, tools: [picky] }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({ toolCalls: 2, toolErrors: 1 });
    expect(result.toolErrorMessages).toHaveLength(1);
    expect(result.toolErrorMessages[0]).toHaveLength(200);
    expect(result.toolErrorMessages[0]).toMatch(/^picky: Key too long: x+…$/);
  });
});

describe('gateway seam', () => {
  it('runs on any ModelGateway, passing the output allowance label for budget errors', async () => {
    const { fake, gateway } = await start(reply.toolUse('lookup', { key: 'a' }), reply.text('a'));
    const seen: (CallOptions | undefined)[] = [];
    // A wrapper, as a router or journal would be: the worker never needs the Gateway class.
    const wrapped: ModelGateway = {
      call: (request, attribution, options) => {
        seen.push(options);
        return gateway.call(request, attribution, options);
      },
      stream: (request, attribution, options) => gateway.stream(request, attribution, options),
      worstCase: (request) => gateway.worstCase(request),
      countTokens: (request, options) => gateway.countTokens(request, options),
      events: gateway.events,
      ledger: gateway.ledger,
      catalog: gateway.catalog,
      budget: gateway.budget,
    };
    const result = await createWorker({ gateway: wrapped, tools: [lookup] }).run({
      id: 't',
      brief: 'x',
    });
    expect(result).toMatchObject({ status: 'done', calls: 2 });
    expect(seen).toEqual([
      { signal: expect.any(AbortSignal), maxTokensLabel: 'limits.maxOutputTokens' },
      { signal: expect.any(AbortSignal), maxTokensLabel: 'limits.maxOutputTokens' },
    ]);
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it("stop codes that core also raises are core's ERROR_CODES values", () => {
    const shared = Object.keys(ERROR_CODES).filter((code) => code in WORKER_STOP_CODES);
    expect(shared.sort()).toEqual([
      'ABORTED',
      'API_REQUEST_REJECTED',
      'API_UNAVAILABLE',
      'BATCH_MAYBE_SUBMITTED',
      'BUDGET_EXCEEDED',
      'LEDGER_STORE_FAILED',
      'MISSING_API_KEY',
      'RATE_LIMIT_UNSATISFIABLE',
      'UNBOUNDED_COST',
    ]);
    for (const code of shared)
      expect(WORKER_STOP_CODES[code as keyof typeof WORKER_STOP_CODES]).toBe(
        ERROR_CODES[code as keyof typeof ERROR_CODES],
      );
  });
});

describe('summary cap', () => {
  it('a plain-text answer over the cap is sent back once, then cut and flagged', async () => {
    const long = 'word '.repeat(400).trim();
    const { fake, gateway } = await start(reply.text(long), reply.text(long));
    const result = await createWorker({ gateway, summaryTokenCap: 50 }).run({
      id: 't1',
      brief: 'Talk.',
    });
    expect(result).toMatchObject({ status: 'done', calls: 2, summaryTruncated: true });
    expect(estimateTextTokens(result.summary)).toBeLessThanOrEqual(50);
    expect(result.summary.endsWith('…')).toBe(true);
    expect(lastUserBlocks(fake.transcript.messages(HAIKU)[1]!)[0]!.text).toMatch(
      /^The summary is about \d+ tokens; the limit is 50\./,
    );
  });
});
