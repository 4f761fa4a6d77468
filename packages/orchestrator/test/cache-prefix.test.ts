import type { FakeAnthropicServer } from '@haiku-army/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createArmy } from '../src/index.js';
import { startScripted, subtask, workerByBrief } from './support/scripted.js';

let fake: FakeAnthropicServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const sharedPrefix = `Repository map:\n${Array.from({ length: 300 }, (_, index) => `src/f${index}.ts`).join('\n')}`;

describe('the shared prefix', () => {
  it('reaches every worker with a cache_control breakpoint, and never the planner or synthesizer', async () => {
    fake = await startScripted({ worker: workerByBrief({ Do: 'Done.' }) });
    const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', sharedPrefix });
    const result = await army.runPlan({ subtasks: [subtask('a', 'Do A.'), subtask('b', 'Do B.')] });
    expect(result.status).toBe('done');
    const requests = fake.transcript.messages();
    const workers = requests.filter((request) => (request.tools ?? []).length > 0);
    expect(workers).toHaveLength(2);
    for (const request of workers) {
      const system = request.system as unknown as { text: string; cache_control?: unknown }[];
      expect(system.at(-1)).toEqual({
        type: 'text',
        text: sharedPrefix,
        cache_control: { type: 'ephemeral' },
      });
    }
    const others = requests.filter((request) => (request.tools ?? []).length === 0);
    expect(others).toHaveLength(1); // the synthesizer
    for (const request of others) expect(JSON.stringify(request)).not.toContain('Repository map');
    // The second worker read what the first wrote.
    expect(result.cacheHitRate).toBeGreaterThan(0);
  });
});
