import {
  armyDefaultRole,
  createDemoResponders,
  type FakeAnthropicServer,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { OFFLINE_API_KEY } from './constants.js';

/** Where the army's calls go: the real API (a key is set) or the embedded fake. */
export interface Connection {
  /** True when the embedded fake API answers (no `ANTHROPIC_API_KEY`). */
  offline: boolean;
  apiKey: string;
  /** Set offline (the fake's URL), or from `ANTHROPIC_BASE_URL`. */
  baseURL?: string;
  /** The line that says which it is (the command's first line, on stderr). */
  banner: string;
  /** The fake server, offline. */
  fake?: FakeAnthropicServer;
  /** Stops the fake, when one was started. */
  close(): Promise<void>;
}

/**
 * The simulated models the offline run gets: the fake's default haiku-army
 * behaviours (planner, workers using the real tools, synthesizer), with each
 * worker counting only the matches in the files its shard was assigned, so a
 * shard's summary stays under the summary cap.
 */
export function offlineResponders() {
  const { responders } = createDemoResponders({ worker: { assignedFilesOnly: true } });
  return { responders, route: armyDefaultRole };
}

/**
 * With `ANTHROPIC_API_KEY` set: the real API (the SDK honours
 * `ANTHROPIC_BASE_URL`; it is passed on explicitly so an injected environment
 * works the same). Without one: starts the embedded fake API with its
 * simulated planner and workers; every call is priced as the real API bills it.
 */
export async function connect(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Connection> {
  const key = env.ANTHROPIC_API_KEY?.trim();
  if (key) {
    const baseURL = env.ANTHROPIC_BASE_URL?.trim() || undefined;
    return {
      offline: false,
      apiKey: key,
      ...(baseURL ? { baseURL } : {}),
      banner: `live: ANTHROPIC_API_KEY is set, calling ${baseURL ?? 'the Anthropic API'}; every call is billed.`,
      close: async () => {},
    };
  }
  const fake = await startFakeAnthropic({ ...offlineResponders() });
  return {
    offline: true,
    apiKey: OFFLINE_API_KEY,
    baseURL: fake.url,
    fake,
    banner: `offline: no ANTHROPIC_API_KEY, so the embedded fake API answers at ${fake.url} (simulated planner and workers); costs are priced as the real API would bill them.`,
    close: () => fake.close(),
  };
}
