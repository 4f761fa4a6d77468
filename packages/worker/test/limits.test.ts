import { Budget, CostLedger, type GatewayOptions } from '@haiku-army/core';
import { type Responder, reply, sequence } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createWorker, defineTool, type ToolContext } from '../src/index.js';
import { HAIKU, lastUserBlocks, lookup, useHarness } from './support/harness.js';

const harness = useHarness();
const start = (responder: Responder, gatewayOptions: Omit<GatewayOptions, 'client'> = {}) =>
  harness.start({ models: { [HAIKU]: responder } }, gatewayOptions);

const alwaysLookup: Responder = (_request, context) =>
  reply.toolUse('lookup', { key: `k${context.call}` });

describe('limits', () => {
  it('maxTurns: the last call is asked to submit; without a submission the worker ends partial', async () => {
    const { fake, gateway } = await start(alwaysLookup);
    const result = await createWorker({ gateway, tools: [lookup], limits: { maxTurns: 3 } }).run({
      id: 't1',
      brief: 'Look.',
    });
    expect(result).toMatchObject({
      status: 'partial',
      code: 'MAX_TURNS',
      calls: 3,
      turns: 3,
      toolCalls: 2,
    });
    const requests = fake.transcript.messages(HAIKU);
    expect(requests.map((request) => request.tool_choice)).toEqual([
      undefined,
      undefined,
      { type: 'tool', name: 'submit_result' },
    ]);
    expect(lastUserBlocks(requests[2]!).at(-1)).toEqual({
      type: 'text',
      text: expect.stringMatching(/^This is your last turn\. Call submit_result now/),
    });
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('maxTurns: a worker that submits on its last turn is done', async () => {
    const { gateway } = await start(
      sequence(
        reply.toolUse('lookup', { key: 'a' }),
        reply.toolUse('submit_result', { status: 'partial', summary: 'Half.' }),
      ),
    );
    const result = await createWorker({ gateway, tools: [lookup], limits: { maxTurns: 2 } }).run({
      id: 't',
      brief: 'x',
    });
    expect(result).toMatchObject({ status: 'partial', summary: 'Half.', calls: 2 });
    expect(result.code).toBeUndefined();
  });

  it('maxTokens: no call starts once the worker used its tokens', async () => {
    const { fake, gateway } = await start(alwaysLookup);
    const result = await createWorker({ gateway, tools: [lookup], limits: { maxTokens: 1 } }).run({
      id: 't',
      brief: 'x',
    });
    expect(result).toMatchObject({ status: 'partial', code: 'MAX_TOKENS', calls: 1 });
    expect(result.reason).toMatch(/; the limit is 1\.$/);
    expect(fake.billing.entries).toHaveLength(1);
  });

  it('maxCost: a call whose worst case would pass the cap is not sent', async () => {
    const { fake, gateway } = await start(alwaysLookup);
    const result = await createWorker({ gateway, tools: [lookup], limits: { maxCost: 1_000 } }).run(
      { id: 't', brief: 'x' },
    );
    expect(result).toMatchObject({ status: 'failed', code: 'MAX_COST', calls: 0, turns: 0 });
    expect(result.cost.total).toBe(0);
    expect(fake.transcript.messages()).toHaveLength(0);
  });

  it('maxCost with stream: only the input must fit before the call; one that cannot is not sent', async () => {
    const { fake, gateway } = await start(alwaysLookup);
    const result = await createWorker({
      gateway,
      tools: [lookup],
      stream: true,
      limits: { maxCost: 1_000 },
    }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({ status: 'failed', code: 'MAX_COST', calls: 0, turns: 0 });
    expect(result.reason).toMatch(
      /^The next call could cost up to \d+ nano-USD before its output; with 0 spent that would pass the worker's maxCost of 1000\.$/,
    );
    expect(fake.transcript.messages()).toHaveLength(0);
  });

  it("the budget's per-task cap ends the worker partial and keeps what was spent", async () => {
    // Find the first request's worst case, then allow exactly that much.
    const probe = await start(() => 'done');
    await createWorker({ gateway: probe.gateway, tools: [lookup] }).run({ id: 't', brief: 'x' });
    const firstRequest = probe.fake.transcript.messages(HAIKU)[0]!;
    const worstCase = probe.gateway.worstCase(firstRequest as never);
    await probe.close();
    const budget = new Budget({ limits: { task: worstCase } });
    const { fake, gateway } = await start(alwaysLookup, { budget });
    // The cap is spendable: later calls are counted exactly (or their
    // max_tokens lowered) until even that no longer fits; then the budget refuses.
    const worker = createWorker({ gateway, tools: [lookup], limits: { maxTurns: 200 } });
    const result = await worker.run({ id: 't', brief: 'x' });
    expect(result.code).toBe('BUDGET_EXCEEDED');
    expect(result.status).toBe('partial');
    expect(result.calls).toBeGreaterThan(1);
    expect(result.turns).toBe(result.calls + 1);
    expect(result.cost.total).toBe(fake.billing.total());
    expect(fake.billing.total()).toBeLessThanOrEqual(worstCase);
    expect(budget.status('task', `${worker.runId}/t`)).toMatchObject({
      spent: fake.billing.total(),
      reserved: 0,
    });
    expect(result.error).toMatchObject({ code: 'BUDGET_EXCEEDED', scope: 'task' });
  });

  it('timeoutMs: stops a tool that ignores its signal and ends the worker', async () => {
    const stuck = defineTool({
      name: 'stuck',
      description: 'Never returns.',
      input: z.object({}),
      run: () => new Promise(() => {}),
    });
    const { fake, gateway } = await start(() => reply.toolUse('stuck', {}));
    // Long enough for the first call to come back on a loaded machine; the tool then hangs.
    const result = await createWorker({ gateway, tools: [stuck], limits: { timeoutMs: 400 } }).run({
      id: 't',
      brief: 'x',
    });
    expect(result).toMatchObject({ status: 'failed', code: 'TIMEOUT', calls: 1, toolCalls: 1 });
    expect(result.reason).toBe('Ran longer than 400 ms.');
    expect(result.cost.total).toBe(fake.billing.total());
  });
});

describe('errors and cancellation', () => {
  it('an AbortSignal cancels the worker and the running tool; spent cost is kept', async () => {
    const controller = new AbortController();
    let toolSignal: AbortSignal | undefined;
    const wait = defineTool({
      name: 'wait',
      description: 'Waits until cancelled.',
      input: z.object({}),
      run: (_input, context: ToolContext) =>
        new Promise((_resolve, reject) => {
          toolSignal = context.signal;
          context.signal.addEventListener('abort', () => reject(new Error('tool cancelled')));
          controller.abort(new Error('user pressed stop'));
        }),
    });
    const { fake, gateway } = await start(() => reply.toolUse('wait', {}));
    const result = await createWorker({ gateway, tools: [wait] }).run(
      { id: 't', brief: 'x' },
      { signal: controller.signal },
    );
    expect(result).toMatchObject({
      status: 'failed',
      code: 'ABORTED',
      reason: 'Cancelled: user pressed stop.',
      calls: 1,
    });
    expect(toolSignal?.aborted).toBe(true);
    expect(result.cost.total).toBeGreaterThan(0);
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('an already-aborted signal makes no call', async () => {
    const { fake, gateway } = await start(() => 'hi');
    const result = await createWorker({ gateway }).run(
      { id: 't', brief: 'x' },
      { signal: AbortSignal.abort() },
    );
    expect(result).toMatchObject({ status: 'failed', code: 'ABORTED', calls: 0, turns: 0 });
    expect(fake.transcript.entries).toHaveLength(0);
  });

  it('an API that stays unavailable ends the worker failed, keeping earlier spend', async () => {
    const { fake, gateway } = await start(
      sequence(reply.toolUse('lookup', { key: 'a' }), reply.error({ status: 529 })),
      { maxAttempts: 2 },
    );
    const result = await createWorker({ gateway, tools: [lookup] }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({ status: 'failed', code: 'API_UNAVAILABLE', calls: 1, turns: 2 });
    expect(result.reason).toMatch(/kept failing after 2 attempt/);
    expect(fake.billing.entries).toHaveLength(1);
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('a failing ledger store ends the worker failed but keeps the billed call on the result', async () => {
    let appends = 0;
    const ledger = new CostLedger({
      store: {
        append: () => {
          appends += 1;
          if (appends === 2) throw new Error('disk full');
        },
        load: () => [],
      },
    });
    const { fake, gateway } = await start(alwaysLookup, { ledger });
    const result = await createWorker({ gateway, tools: [lookup] }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({
      status: 'failed',
      code: 'LEDGER_STORE_FAILED',
      calls: 2,
      turns: 2,
    });
    expect(fake.billing.entries).toHaveLength(2);
    expect(result.cost.total).toBe(fake.billing.total());
  });

  it('a rejected request ends the worker failed with API_REQUEST_REJECTED', async () => {
    const { gateway } = await start(() => reply.error({ status: 400, message: 'bad request' }));
    const result = await createWorker({ gateway }).run({ id: 't', brief: 'x' });
    expect(result).toMatchObject({
      status: 'failed',
      code: 'API_REQUEST_REJECTED',
      calls: 0,
      turns: 1,
    });
    expect(result.summary).toMatch(
      /^No result was submitted: The Anthropic API rejected the request \(400/,
    );
  });
});
