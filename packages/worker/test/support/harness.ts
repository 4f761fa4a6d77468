import Anthropic from '@anthropic-ai/sdk';
import {
  type ArmyEvents,
  CostLedger,
  createEvents,
  createGateway,
  type Gateway,
  type GatewayOptions,
} from '@haiku-army/core';
import {
  type FakeAnthropicServer,
  type MessageRequest,
  type Reply,
  type Responder,
  type StartFakeAnthropicOptions,
  sequence,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { afterEach } from 'vitest';
import * as z from 'zod';
import { defineTool } from '../../src/index.js';

/** The model the tests' workers use (the package default). */
export const HAIKU = 'claude-haiku-5-5';

/** A tool that answers `value of <key>`. */
export const lookup = defineTool({
  name: 'lookup',
  description: 'Looks a key up.',
  input: z.object({ key: z.string() }),
  run: ({ key }) => `value of ${key}`,
});

export interface Harness {
  fake: FakeAnthropicServer;
  gateway: Gateway;
  ledger: CostLedger;
  events: ArmyEvents;
  close(): Promise<void>;
}

/** The fake API over real HTTP, the real SDK, and a gateway with a fresh ledger. */
export async function startHarness(
  options: StartFakeAnthropicOptions = {},
  gatewayOptions: Omit<GatewayOptions, 'client'> = {},
): Promise<Harness> {
  // Instant responses unless a test sets latency (the fake's default first
  // byte is realistic, and slower than some limits these tests use).
  const fake = await startFakeAnthropic({ latency: 0, ...options });
  // Built after the server listens; the gateway sends maxRetries 0 itself.
  const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url });
  const ledger = gatewayOptions.ledger ?? new CostLedger();
  const events = gatewayOptions.events ?? createEvents();
  const gateway = createGateway({
    client,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...gatewayOptions,
    ledger,
    events,
  });
  return { fake, gateway, ledger, events, close: () => fake.close() };
}

/**
 * Harnesses for the tests of one file: each test starts its own, and it is
 * closed after the test.
 */
export function useHarness() {
  let current: Harness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  /** The fake API and a gateway. */
  async function start(
    options: StartFakeAnthropicOptions = {},
    gatewayOptions: Omit<GatewayOptions, 'client'> = {},
  ): Promise<Harness> {
    current = await startHarness(options, gatewayOptions);
    return current;
  }
  /** The fake API with HAIKU playing `steps` in order (the last one repeats). */
  function script(...steps: (Reply | string | Responder)[]): Promise<Harness> {
    return start({ models: { [HAIKU]: sequence(...steps) } });
  }
  return { start, script };
}

/** The text of a request's first user message (the brief). */
export function briefOf(request: MessageRequest): string {
  const first = request.messages[0]?.content;
  if (typeof first === 'string') return first;
  return (first ?? [])
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text))
    .join('\n');
}

/** The blocks of the last user message of a request. */
export function lastUserBlocks(request: MessageRequest): Record<string, unknown>[] {
  const last = request.messages.at(-1);
  if (last?.role !== 'user') return [];
  return typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
}

/** Resolves after `ms` (a small server-side latency for responders). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
