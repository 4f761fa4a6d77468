// Cached worker history: a 6-turn worker (5 tool calls, then submit_result)
// whose tool results are about 2,000 tokens each, run with and without
// `cacheHistory`, through the gateway and the real SDK against the fake API
// over HTTP. Prints the input-side cost (input + cache writes + cache reads)
// of both, from the ledger and from the fake's bill, and the saving.
import Anthropic from '@anthropic-ai/sdk';
import { CostLedger, createGateway } from '@haiku-army/core';
import {
  countTextTokens,
  reply,
  startFakeAnthropic,
  toolExchanges,
  truncateToTokens,
} from '@haiku-army/testing';
import { createWorker, defineTool } from '@haiku-army/worker';
import * as z from 'zod';

const TOOL_CALLS = 5;
const RESULT_TOKENS = Number(process.env.BENCH_RESULT_TOKENS ?? 2_000);

/** About `RESULT_TOKENS` tokens of source-like text (exactly, by the fake's counter). */
function chunk(n) {
  const lines = [];
  for (let line = 1; countTextTokens(lines.join('\n')) < RESULT_TOKENS + 50; line++)
    lines.push(
      `// chunk ${n}, line ${line}\nexport const value${line} = compute(${line}, 'part ${n}');`,
    );
  return truncateToTokens(lines.join('\n'), RESULT_TOKENS).text;
}

const inputSide = (cost) => cost.input + cost.cacheWrite + cost.cacheRead;

async function run(cacheHistory) {
  const fake = await startFakeAnthropic({
    models: {
      'claude-haiku-5-5': (request) => {
        const done = toolExchanges(request).length;
        if (done < TOOL_CALLS) return reply.toolUse('read_chunk', { n: done + 1 });
        return reply.toolUse('submit_result', { status: 'done', summary: `Read ${done} chunks.` });
      },
    },
  });
  const ledger = new CostLedger();
  const gateway = createGateway({
    client: new Anthropic({ apiKey: 'bench', baseURL: fake.url }),
    ledger,
  });
  const readChunk = defineTool({
    name: 'read_chunk',
    description: 'Returns chunk n of the document.',
    input: z.object({ n: z.number().int() }),
    run: ({ n }) => chunk(n),
  });
  const worker = createWorker({ gateway, tools: [readChunk], cacheHistory });
  const result = await worker.run({
    id: 'reader',
    brief: `Read chunks 1 to ${TOOL_CALLS} with read_chunk, then submit a summary.`,
  });
  const entries = ledger.entries();
  const billed = fake.billing.entries;
  await fake.close();
  return {
    status: result.status,
    calls: result.calls,
    inputCostLedgerNanoUsd: entries.reduce((sum, entry) => sum + inputSide(entry.cost), 0),
    inputCostBilledNanoUsd: billed.reduce((sum, entry) => sum + inputSide(entry.cost), 0),
    totalLedgerNanoUsd: ledger.spent(),
    totalBilledNanoUsd: billed.reduce((sum, entry) => sum + entry.cost.total, 0),
    cacheReadTokens: result.usage.cacheReadTokens,
    cacheWriteTokens: result.usage.cacheWrite5mTokens + result.usage.cacheWrite1hTokens,
    inputTokens: result.usage.inputTokens,
  };
}

export default async function workerHistoryBench() {
  const off = await run(false);
  const on = await run(true);
  const saving = off.inputCostLedgerNanoUsd - on.inputCostLedgerNanoUsd;
  return [
    {
      name: `6-turn worker, ${TOOL_CALLS} tool results of ${RESULT_TOKENS} tokens`,
      withHistoryCache: on,
      withoutHistoryCache: off,
      inputCostRatio: Number((on.inputCostLedgerNanoUsd / off.inputCostLedgerNanoUsd).toFixed(4)),
      inputSavingNanoUsd: saving,
      inputSavingPercent: Number(((saving / off.inputCostLedgerNanoUsd) * 100).toFixed(1)),
      reconciled:
        on.inputCostLedgerNanoUsd === on.inputCostBilledNanoUsd &&
        off.inputCostLedgerNanoUsd === off.inputCostBilledNanoUsd &&
        on.totalLedgerNanoUsd === on.totalBilledNanoUsd &&
        off.totalLedgerNanoUsd === off.totalBilledNanoUsd,
    },
  ];
}
