// Hot-path costs of core's money machinery: pricing a usage, recording a
// ledger entry (memory and JSONL), reserving and settling a budget, and
// granting rate-limiter tickets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Budget, CostLedger, costOf, JsonlLedgerStore, RateLimiter } from '@haiku-army/core';
import { measure } from './measure.mjs';

const usage = {
  input_tokens: 1_234,
  output_tokens: 321,
  cache_creation_input_tokens: 2_048,
  cache_read_input_tokens: 8_192,
  cache_creation: { ephemeral_5m_input_tokens: 2_048, ephemeral_1h_input_tokens: 0 },
  service_tier: 'standard',
};
const attribution = {
  runId: 'bench',
  taskId: 'task',
  parentTaskId: 'root',
  role: 'worker',
  tags: ['bench'],
};

export default async function coreBench() {
  const results = [];
  results.push(await measure('costOf', 200_000, () => costOf('claude-haiku-5-5', usage)));

  const memory = new CostLedger();
  results.push(
    await measure('ledger.record (memory)', 100_000, (index) =>
      memory.record({
        attribution: { ...attribution, taskId: `task-${index % 500}` },
        model: 'claude-haiku-5-5',
        usage,
      }),
    ),
  );
  results.push(
    await measure('ledger.costTree over 101K entries', 5, () =>
      memory.costTree({ runId: 'bench' }),
    ),
  );

  const dir = mkdtempSync(join(tmpdir(), 'army-bench-'));
  const store = new JsonlLedgerStore({ path: join(dir, 'ledger.jsonl') });
  const durable = new CostLedger({ store });
  results.push(
    await measure('ledger.record (JSONL file)', 20_000, () =>
      durable.record({ attribution, model: 'claude-haiku-5-5', usage }),
    ),
  );
  const reload = new CostLedger({
    store: new JsonlLedgerStore({ path: join(dir, 'ledger.jsonl') }),
  });
  results.push(await measure('JSONL load of 21K entries', 1, () => reload.load()));
  await durable.close();
  rmSync(dir, { recursive: true, force: true });

  const budget = new Budget({ limits: { run: 10 ** 15, task: 10 ** 12 } });
  results.push(
    await measure('budget.reserve + settle', 200_000, (index) =>
      budget
        .reserve({ runId: 'bench', taskId: `task-${index % 100}`, amount: 5_000 })
        .settle(1_000),
    ),
  );

  const limiter = new RateLimiter({
    limits: { 'claude-haiku-5-5': { rpm: 10 ** 9, itpm: 10 ** 12, otpm: 10 ** 12 } },
  });
  results.push(
    await measure('rateLimiter.acquire + settle', 100_000, async () => {
      const ticket = await limiter.acquire({
        model: 'claude-haiku-5-5',
        inputTokens: 1_000,
        outputTokens: 500,
      });
      ticket.settle({ inputTokens: 900, outputTokens: 200 });
    }),
  );
  return results;
}
