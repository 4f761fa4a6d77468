// createArmy inside an agent loop of your own. The host agent runs on an
// expensive model and has one tool, `delegate_to_army`; when it calls it, the
// army plans, fans the job out to cheap workers and synthesizes, and the
// tool result is only the army's answer. The workers' file reads, grep
// output and transcripts never enter the host's context: the token counts
// printed at the end show it. The host's calls go through the army's gateway
// (role `host`), so one ledger prices everything. Offline (no
// ANTHROPIC_API_KEY) the fake Anthropic API of @haiku-army/testing plays both
// the host model (simulated-host.mjs) and the army's models (its SIMULATED
// planner, workers and synthesizer); with a key, the same code calls the real API.
//
//   node index.mjs [--question "..."] [--root DIR] [--host-model M] [--latency MS] [--json]
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatUsd, usd } from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { startFakeAnthropic } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { DELEGATE_TOOL, simulatedHostOptions } from './simulated-host.mjs';

const { values } = parseArgs({
  options: {
    question: {
      type: 'string',
      default: 'Where does this codebase handle "retry-after" headers?',
    },
    root: { type: 'string', default: fileURLToPath(new URL('../../packages', import.meta.url)) },
    'host-model': { type: 'string', default: 'claude-opus-5-5' },
    latency: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const root = resolve(values.root);
const hostModel = values['host-model'];

const live = Boolean(process.env.ANTHROPIC_API_KEY);
let latency;
if (values.latency !== undefined) {
  latency = Number(values.latency);
  if (!Number.isInteger(latency) || latency < 0) {
    console.error(`Expected --latency to be an integer >= 0, got ${values.latency}`);
    process.exit(2);
  }
}
const fake = live
  ? undefined
  : await startFakeAnthropic({
      ...simulatedHostOptions(),
      ...(latency === undefined ? {} : { latency }),
    });
const army = createArmy({
  ...(fake ? { baseURL: fake.url, apiKey: 'offline-demo' } : {}),
  tools: codebaseTools({ root }),
  context: `root: ${root}`,
  // Room for a plan that names every file of each shard (~1,500 files); with less, the
  // simulated planner names folders, and the shards grow coarser.
  plannerMaxTokens: 32_000,
  budget: { run: usd(2) },
});

// ---- the host agent: your own loop, your own prompt, one extra tool ----
const delegateTool = {
  name: DELEGATE_TOOL,
  description:
    'Delegate a job that needs many files read (a codebase search, an audit) to a planner and a pool of cheap workers. Returns only their final answer.',
  input_schema: {
    type: 'object',
    properties: { job: { type: 'string', description: 'The job, self-contained.' } },
    required: ['job'],
  },
};
const messages = [{ role: 'user', content: values.question }];
const hostTurns = [];
const delegations = [];
for (let turn = 1; turn <= 4; turn++) {
  const { message, entry } = await army.gateway.call(
    {
      model: hostModel,
      max_tokens: 1024,
      system: 'You are a coding assistant. Delegate broad searches with delegate_to_army.',
      tools: [delegateTool],
      messages,
    },
    { runId: 'host-session', taskId: 'host', role: 'host' },
  );
  hostTurns.push({
    turn,
    inputTokens:
      entry.usage.inputTokens +
      entry.usage.cacheReadTokens +
      entry.usage.cacheWrite5mTokens +
      entry.usage.cacheWrite1hTokens,
    outputTokens: entry.usage.outputTokens,
    costNanoUsd: entry.cost.total,
  });
  messages.push({ role: 'assistant', content: message.content });
  const calls = message.content.filter((block) => block.type === 'tool_use');
  if (message.stop_reason !== 'tool_use' || calls.length === 0) break;
  const results = [];
  for (const call of calls) {
    // The army runs in its own contexts; only its answer comes back.
    const run = await army.run(String(call.input.job));
    const content = run.answer ?? `The army could not answer (${run.status}).`;
    const usage = run.cost.usage;
    delegations.push({
      job: call.input.job,
      runId: run.runId,
      status: run.status,
      subtasks: run.subtasks.length,
      calls: run.cost.calls,
      armyTokens:
        usage.inputTokens +
        usage.cacheReadTokens +
        usage.cacheWrite5mTokens +
        usage.cacheWrite1hTokens +
        usage.outputTokens,
      costNanoUsd: run.cost.total,
      answer: content,
    });
    results.push({ type: 'tool_result', tool_use_id: call.id, content });
  }
  messages.push({ role: 'user', content: results });
}
const finalAnswer = messages
  .at(-1)
  .content.filter?.((block) => block.type === 'text')
  .map((block) => block.text)
  .join('\n');
const billed = fake?.billing.total();
await fake?.close();

const hostCost = army.ledger.totals({ runId: 'host-session' }).cost.total;
const report = {
  mode: live ? 'live API' : 'offline (fake API, simulated host and army)',
  question: values.question,
  hostModel,
  hostTurns,
  delegations,
  finalAnswer,
  hostMessages: messages,
  hostCostNanoUsd: hostCost,
  totalNanoUsd: army.ledger.totals().cost.total,
  billedNanoUsd: billed,
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const money = (nano) => formatUsd(nano, { digits: 6 });
  console.log(`haiku-army embedded in a host agent on ${hostModel}, ${report.mode}`);
  console.log(`User: ${values.question}\n`);
  for (const delegation of delegations)
    console.log(
      `delegate_to_army("${delegation.job}"): ${delegation.status}, ${delegation.subtasks} subtasks, ${delegation.calls} calls, ${delegation.armyTokens} tokens in the army's contexts, ${money(delegation.costNanoUsd)}`,
    );
  console.log(`\nHost: ${finalAnswer}\n`);
  console.log("The host's context, turn by turn (input tokens it was billed for):");
  for (const turn of hostTurns)
    console.log(
      `  turn ${turn.turn}: ${String(turn.inputTokens).padStart(6)} in, ${String(turn.outputTokens).padStart(4)} out  ${money(turn.costNanoUsd)}`,
    );
  const [first, second] = hostTurns;
  if (first && second && delegations.length > 0) {
    const army = delegations.reduce((sum, delegation) => sum + delegation.armyTokens, 0);
    console.log(
      `The delegation added ${second.inputTokens - first.inputTokens} tokens to the host's context (its own tool call and the army's answer); the army's workers, planner and synthesizer went through ${army} tokens that the host never saw.`,
    );
  }
  console.log(
    `\nHost ${money(hostCost)} + army ${money(report.totalNanoUsd - hostCost)} = ${money(report.totalNanoUsd)}${billed === undefined ? '' : ` (the fake billed ${money(billed)})`}`,
  );
}
