import { costOf } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import { createFakeAnthropic, lastUserText, reply } from '../src/index.js';
import { call, manualClock } from './helpers.js';

const MODEL = 'claude-haiku-5-5';
const params = (content: string) => ({
  model: MODEL,
  max_tokens: 20,
  messages: [{ role: 'user', content }],
});

async function createBatch(
  fake: ReturnType<typeof createFakeAnthropic>,
  requests: { custom_id: string; params: unknown }[],
) {
  return (await (await call(fake, '/v1/messages/batches', { requests })).json()) as any;
}

function fetchVia(fake: ReturnType<typeof createFakeAnthropic>, url: string) {
  return fake.handle(
    new Request(url, { headers: { 'x-api-key': 'k', 'anthropic-version': '2026-10-21' } }),
  );
}

async function results(fake: ReturnType<typeof createFakeAnthropic>, id: string) {
  const response = await call(fake, `/v1/messages/batches/${id}/results`);
  expect(response.status).toBe(200);
  return (await response.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('message batches', () => {
  it('stays in_progress until the processing delay passes on the clock, then ends', async () => {
    const clock = manualClock();
    const fake = createFakeAnthropic({
      latency: 0,
      now: clock.now,
      batchProcessingMs: 60_000,
      defaultResponder: (request) => {
        const text = lastUserText(request);
        if (text === 'fail') return reply.error({ status: 400, message: 'bad request' });
        if (text === 'late') return reply.expired();
        return reply.text('word word');
      },
    });
    const created = await createBatch(fake, [
      { custom_id: 'ok', params: params('fine') },
      { custom_id: 'bad', params: params('fail') },
      { custom_id: 'old', params: params('late') },
      { custom_id: 'unknown', params: { ...params('x'), model: 'claude-nope' } },
    ]);
    expect(created).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      results_url: null,
      ended_at: null,
    });
    expect((await call(fake, `/v1/messages/batches/${created.id}/results`)).status).toBe(404);
    clock.advance(59_999);
    expect(
      ((await (await call(fake, `/v1/messages/batches/${created.id}`)).json()) as any)
        .processing_status,
    ).toBe('in_progress');
    clock.advance(1);
    const ended = (await (await call(fake, `/v1/messages/batches/${created.id}`)).json()) as any;
    expect(ended).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 1, errored: 2, canceled: 0, expired: 1 },
      results_url: `http://fake-anthropic.local/v1/messages/batches/${created.id}/results`,
    });
    const lines = await results(fake, created.id);
    expect(lines.map((line) => [line.custom_id, line.result.type])).toEqual([
      ['ok', 'succeeded'],
      ['bad', 'errored'],
      ['old', 'expired'],
      ['unknown', 'errored'],
    ]);
    expect(lines[1].result.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'bad request' },
    });
    expect(lines[3].result.error.error).toEqual({
      type: 'not_found_error',
      message: 'model: claude-nope',
    });
    expect(lines[0].result.message.usage).toMatchObject({
      input_tokens: 4,
      output_tokens: 2,
      service_tier: 'batch',
    });
    // Only the success is billed, at half price: 4 * 50 + 2 * 250.
    expect(fake.billing.entries).toHaveLength(1);
    expect(fake.billing.entries[0]).toMatchObject({ batchId: created.id, customId: 'ok' });
    expect(fake.billing.total()).toBe(4 * 50 + 2 * 250);
    // The transcript records what each batch request saw.
    expect(
      fake.transcript.entries
        .filter((entry) => entry.source === 'batch')
        .map((entry) => entry.customId),
    ).toEqual(['ok', 'bad', 'old', 'unknown']);
  });

  it('cancels a batch: canceling, then ended with every request canceled and nothing billed', async () => {
    const clock = manualClock();
    const fake = createFakeAnthropic({ latency: 0, now: clock.now, batchProcessingMs: 1000 });
    const created = await createBatch(fake, [{ custom_id: 'a', params: params('x') }]);
    const canceling = (await (
      await call(fake, `/v1/messages/batches/${created.id}/cancel`, {})
    ).json()) as any;
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).not.toBeNull();
    const ended = (await (await call(fake, `/v1/messages/batches/${created.id}`)).json()) as any;
    expect(ended).toMatchObject({ processing_status: 'ended', request_counts: { canceled: 1 } });
    expect(fake.billing.entries).toHaveLength(0);
    const deleted = await call(fake, `/v1/messages/batches/${created.id}`, undefined, {
      method: 'DELETE',
    });
    expect(await deleted.json()).toEqual({ id: created.id, type: 'message_batch_deleted' });
    expect((await call(fake, `/v1/messages/batches/${created.id}`)).status).toBe(404);
  });

  it('returns an ended batch from cancel once its processing time has passed', async () => {
    const clock = manualClock();
    const fake = createFakeAnthropic({ latency: 0, now: clock.now, batchProcessingMs: 1000 });
    const created = await createBatch(fake, [{ custom_id: 'a', params: params('x') }]);
    clock.advance(1000);
    const canceled = (await (
      await call(fake, `/v1/messages/batches/${created.id}/cancel`, {})
    ).json()) as any;
    expect(canceled).toMatchObject({
      processing_status: 'ended',
      cancel_initiated_at: null,
      request_counts: { processing: 0, succeeded: 1, canceled: 0 },
    });
    expect(fake.billing.entries).toHaveLength(1);
  });

  it("bills a batch at 50% with core's rounding: a half nano-USD line item rounds up", async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      batchProcessingMs: 0,
      defaultResponder: () => 'ok',
    });
    // 513 cached tokens written at $0.125/M = 125 nano-USD each: 64,125 in full, 32,062.5 at 50%.
    const body = {
      ...params('hi'),
      system: [{ type: 'text', text: 'word '.repeat(513), cache_control: { type: 'ephemeral' } }],
    };
    const created = await createBatch(fake, [{ custom_id: 'odd', params: body }]);
    const [line] = await results(fake, created.id);
    const usage = line.result.message.usage;
    expect(usage).toMatchObject({
      cache_creation_input_tokens: 513,
      input_tokens: 4,
      output_tokens: 1,
      service_tier: 'batch',
    });
    const [entry] = fake.billing.entries;
    expect(entry!.cost).toEqual({
      input: 4 * 50,
      output: 250,
      cacheWrite: 32_063,
      cacheRead: 0,
      total: 200 + 250 + 32_063,
    });
    expect(entry!.cost).toEqual(costOf('claude-haiku-5-5', usage));
  });

  it('serves results_url under a base URL with a path', async () => {
    const fake = createFakeAnthropic({
      latency: 0,
      baseURL: 'http://proxy.local/anthropic/',
      batchProcessingMs: 0,
    });
    const send = (path: string, body?: unknown) =>
      fake.handle(
        new Request(`http://proxy.local/anthropic${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { 'x-api-key': 'k', 'anthropic-version': '2026-10-21' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    const created = (await (
      await send('/v1/messages/batches', { requests: [{ custom_id: 'a', params: params('x') }] })
    ).json()) as any;
    const ended = (await (await send(`/v1/messages/batches/${created.id}`)).json()) as any;
    expect(ended.results_url).toBe(
      `http://proxy.local/anthropic/v1/messages/batches/${created.id}/results`,
    );
    expect((await fetchVia(fake, ended.results_url)).status).toBe(200);
    // Outside the base path there is no API.
    expect((await fetchVia(fake, 'http://proxy.local/v1/messages/batches')).status).toBe(404);
  });

  it('lists batches newest first with pagination', async () => {
    const fake = createFakeAnthropic({ latency: 0, batchProcessingMs: 0 });
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const created = await createBatch(fake, [{ custom_id: `r${index}`, params: params('x') }]);
      ids.push(created.id);
    }
    const page = (await (await call(fake, '/v1/messages/batches?limit=2')).json()) as any;
    expect(page.data.map((batch: any) => batch.id)).toEqual([ids[2], ids[1]]);
    expect(page.has_more).toBe(true);
    const next = (await (
      await call(fake, `/v1/messages/batches?limit=2&after_id=${page.last_id}`)
    ).json()) as any;
    expect(next.data.map((batch: any) => batch.id)).toEqual([ids[0]]);
    expect(next.has_more).toBe(false);
  });

  it('rejects a malformed batch', async () => {
    const fake = createFakeAnthropic({ latency: 0 });
    const empty = await call(fake, '/v1/messages/batches', { requests: [] });
    expect(empty.status).toBe(400);
    const duplicate = await call(fake, '/v1/messages/batches', {
      requests: [
        { custom_id: 'a', params: params('x') },
        { custom_id: 'a', params: params('y') },
      ],
    });
    expect(((await duplicate.json()) as any).error.message).toContain('used more than once');
  });
});
