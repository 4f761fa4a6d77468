import Anthropic from '@anthropic-ai/sdk';
import { CostLedger, createGateway, type Gateway } from '@haiku-army/core';
import {
  type FakeAnthropicServer,
  type StartFakeAnthropicOptions,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { afterEach } from 'vitest';
import type { AttemptOutcome, RoutePick, RouterSubtask } from '../../src/index.js';

export const HAIKU = 'claude-haiku-5-5';
export const SONNET = 'claude-sonnet-5-5';
export const OPUS = 'claude-opus-5-5';

export interface Harness {
  fake: FakeAnthropicServer;
  gateway: Gateway;
  ledger: CostLedger;
}

/** The fake API over real HTTP, the real SDK and a gateway; closed after each test. */
export function useHarness() {
  let current: FakeAnthropicServer | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options: StartFakeAnthropicOptions = {}): Promise<Harness> => {
    const fake = await startFakeAnthropic({ latency: { firstByte: 0 }, ...options });
    current = fake;
    const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
    const ledger = new CostLedger();
    const gateway = createGateway({ client, ledger, retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
    return { fake, gateway, ledger };
  };
}

/**
 * One worker attempt, made directly through the gateway (the orchestrator
 * does this in a run): the brief plus the pick's note goes to the picked
 * model, whose JSON reply is the attempt's `data`.
 */
export function workerAttempt(gateway: Gateway, runId: string, subtask: RouterSubtask) {
  return async (pick: RoutePick, attempt: number): Promise<AttemptOutcome> => {
    const brief = pick.note ? `${subtask.brief}\n\nNote: ${pick.note}` : subtask.brief;
    const response = await gateway.call(
      { model: pick.model, max_tokens: 200, messages: [{ role: 'user', content: brief }] },
      { runId, taskId: subtask.id, role: 'worker', attempt },
    );
    const text = response.message.content
      .map((block) => (block.type === 'text' ? block.text : ''))
      .join('');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    return { status: 'done', summary: text.slice(0, 80), data, cost: response.cost.total };
  };
}
