import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type FakeAnthropicServer, startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createArmy } from '../src/index.js';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());
afterEach(() => trace.disable());

function fixtureArmy() {
  const root = mkdtempSync(join(tmpdir(), 'army-trace-'));
  for (let index = 1; index <= 6; index++) {
    const path = `src/module-${index}.ts`;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), index % 2 === 0 ? 'retryCall(fetchAll);\n' : '// nothing\n');
  }
  return createArmy({
    baseURL: fake.url,
    apiKey: 'test-key',
    tools: codebaseTools({ root }),
    context: `root: ${root}`,
  });
}

const parentOf = (span: ReadableSpan): string | undefined =>
  (span as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId ??
  (span as unknown as { parentSpanId?: string }).parentSpanId;

describe('OpenTelemetry spans of a run', () => {
  it('nests run -> subtask -> call, with GenAI attributes and costs that sum to the run total exactly', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    fake.reset();
    const army = fixtureArmy();
    const result = await army.run('find every place that calls "retryCall"');
    expect(result.status).toBe('done');
    // Only haiku-army's spans: the Anthropic SDK traces its own requests as separate traces.
    const spans = exporter
      .getFinishedSpans()
      .filter((span) => span.instrumentationScope.name === '@haiku-army/orchestrator');
    expect(spans.length).toBeGreaterThan(0);
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const runs = spans.filter((span) => span.name === 'haiku-army.run');
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.attributes['haiku_army.run.id']).toBe(result.runId);
    expect(run.attributes['haiku_army.cost.nano_usd']).toBe(result.cost.total);
    const foreign = spans.filter(
      (span) => span.spanContext().traceId !== run.spanContext().traceId,
    );
    expect(foreign.map((span) => span.name)).toEqual([]);

    const subtasks = spans.filter((span) => span.name === 'haiku-army.subtask');
    expect(subtasks.map((span) => span.attributes['haiku_army.task.id']).sort()).toEqual(
      result.subtasks.map((subtask) => subtask.id).sort(),
    );
    for (const span of subtasks) expect(parentOf(span)).toBe(run.spanContext().spanId);

    const calls = spans.filter((span) => span.name.startsWith('chat '));
    expect(calls).toHaveLength(result.cost.calls);
    const ancestors = (span: ReadableSpan): ReadableSpan[] => {
      const chain: ReadableSpan[] = [];
      for (let at = byId.get(parentOf(span) ?? ''); at; at = byId.get(parentOf(at) ?? ''))
        chain.push(at);
      return chain;
    };
    const workerCalls = calls.filter((span) => span.attributes['haiku_army.role'] === 'worker');
    expect(workerCalls.length).toBeGreaterThan(0);
    for (const call of workerCalls) {
      const chain = ancestors(call);
      const subtask = chain.find((span) => span.name === 'haiku-army.subtask');
      expect(subtask?.attributes['haiku_army.task.id']).toBe(call.attributes['haiku_army.task.id']);
      expect(chain.at(-1)).toBe(run);
    }
    for (const call of calls) {
      expect(call.attributes['gen_ai.operation.name']).toBe('chat');
      expect(typeof call.attributes['gen_ai.request.model']).toBe('string');
      expect(call.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(call.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(call.attributes['gen_ai.usage.cache_read.input_tokens']).toBeTypeOf('number');
      expect(call.attributes['gen_ai.usage.cache_creation.input_tokens']).toBeTypeOf('number');
      expect(Number.isInteger(call.attributes['haiku_army.cost.nano_usd'])).toBe(true);
      expect(ancestors(call).at(-1)).toBe(run);
    }
    const summed = calls.reduce(
      (sum, span) => sum + (span.attributes['haiku_army.cost.nano_usd'] as number),
      0,
    );
    expect(summed).toBe(result.cost.total);
    expect(summed).toBe(fake.billing.total());
    expect(new Set(calls.map((span) => span.attributes['haiku_army.role']))).toEqual(
      new Set(['planner', 'worker', 'synthesizer']),
    );
  }, 60_000);

  it('attaches no listener to a run when no tracer provider is registered', async () => {
    const counts = async (): Promise<number[]> => {
      const army = fixtureArmy();
      const seen: number[] = [];
      army.events.on('task:start', () => seen.push(army.events.listenerCount('call:end')));
      await army.run('find every place that calls "retryCall"');
      return seen;
    };
    const untraced = await counts();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
      }),
    );
    const traced = await counts();
    expect(untraced.length).toBeGreaterThan(0);
    expect(traced[0]).toBe(untraced[0]! + 1);
  }, 60_000);
});
