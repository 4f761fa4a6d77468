import { startFake } from './support/fake.js';
import { codebaseTools } from '@haiku-army/worker';
import { expect, it } from 'vitest';
import { createArmy } from '../src/index.js';
import { searchRepo } from './support/fixture-repo.js';

it('smoke', async () => {
  const fake = await startFake();
  const { root, planted } = searchRepo();
  const army = createArmy({ baseURL: fake.url, apiKey: 'test-key', tools: codebaseTools({ root }), context: `root: ${root}` });
  const result = await army.run('find every place that calls "retryCall"');
  console.log(JSON.stringify({ ...result, timeline: result.timeline.length }, null, 1).slice(0, 6000));
  for (const path of planted) expect(result.answer).toContain(path);
  await fake.close();
});
