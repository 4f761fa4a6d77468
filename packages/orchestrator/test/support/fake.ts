import {
  createDemoResponders,
  type FakeAnthropicServer,
  type StartFakeAnthropicOptions,
  startFakeAnthropic,
} from '@haiku-army/testing';

/**
 * The fake API over HTTP with the simulated planner, workers and
 * synthesizer, and instant responses unless `latency` is given (the fake's
 * default first-byte latency is not zero).
 */
export function startFake(options: StartFakeAnthropicOptions = {}): Promise<FakeAnthropicServer> {
  return startFakeAnthropic({ ...createDemoResponders(), latency: { firstByte: 0 }, ...options });
}
