// The four layers of the fan-out bench, each doing the same N one-call
// subtasks with concurrency C: the raw SDK with p-queue (the floor), the
// gateway, the WorkerPool over the gateway and army.map. Every layer but the
// floor runs as a user would: an in-memory ledger, a run budget, the rate
// limiter and one event listener counting what finished.
import Anthropic from '@anthropic-ai/sdk';
import {
  Budget,
  CostLedger,
  createEvents,
  createGateway,
  RateLimiter,
  usd,
} from '@haiku-army/core';
import { createArmy } from '@haiku-army/orchestrator';
import { WorkerPool } from '@haiku-army/worker';
import PQueue from 'p-queue';

export const LAYERS = ['floor', 'gateway', 'pool', 'army'];
export const MODEL = 'claude-haiku-5-5';
const BUDGET = usd(10_000);

/** The brief of item `index`. */
export function briefOf(index) {
  return `Summarise item ${index} of the catalogue in one sentence.`;
}

/**
 * The exact requests a pool worker sends for items `0..n-1` (captured from a
 * WorkerPool over a gateway that answers at once), so the floor and the
 * gateway layers send the same bytes as the pool and the army.
 */
export async function workerRequests(n) {
  const requests = [];
  const events = createEvents();
  const ledger = new CostLedger();
  const model = ledger.catalog.get(MODEL);
  const capture = {
    events,
    ledger,
    catalog: ledger.catalog,
    budget: undefined,
    worstCase: () => 0,
    countTokens: async () => 0,
    stream: () => {
      throw new Error('workers of this bench do not stream');
    },
    call: async (request, attribution) => {
      requests.push(structuredClone(request));
      const message = {
        id: 'msg_capture',
        type: 'message',
        role: 'assistant',
        model: model.id,
        content: [
          {
            type: 'tool_use',
            id: 'toolu_capture',
            name: 'submit_result',
            input: { status: 'done', summary: 'captured' },
          },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      };
      const entry = ledger.record({ attribution, model, usage: message.usage });
      return { message, entry, cost: entry.cost, attempts: 1, latencyMs: 0 };
    },
  };
  const pool = new WorkerPool({ gateway: capture, concurrency: 64, taskEvents: false });
  const tasks = Array.from({ length: n }, (_, index) => ({
    id: `item-${index + 1}`,
    brief: briefOf(index),
  }));
  await pool.submitAll(tasks);
  // In item order (the pool ran them concurrently).
  const itemOf = (request) =>
    Number(/Summarise item (\d+) /.exec(JSON.stringify(request.messages[0]))[1]);
  return requests.sort((a, b) => itemOf(a) - itemOf(b));
}

function gatewayFor(url) {
  return createGateway({
    client: new Anthropic({ apiKey: 'bench', baseURL: url, maxRetries: 0 }),
    ledger: new CostLedger(),
    budget: new Budget({ limits: { run: BUDGET } }),
    rateLimiter: new RateLimiter(),
  });
}

/**
 * Builds one layer, ready to run `n` subtasks. `run()` resolves once every
 * one has finished, with how many ended well and what the ledger holds.
 */
export function buildLayer(layer, { url, n, c, requests, journal }) {
  let finished = 0;
  const count = () => {
    finished += 1;
  };
  switch (layer) {
    case 'floor': {
      const client = new Anthropic({ apiKey: 'bench', baseURL: url, maxRetries: 0 });
      return async () => {
        const queue = new PQueue({ concurrency: c });
        const messages = await Promise.all(
          requests.slice(0, n).map((request) => queue.add(() => client.messages.create(request))),
        );
        return { ok: messages.filter((message) => message.stop_reason).length, ledger: undefined };
      };
    }
    case 'gateway': {
      const gateway = gatewayFor(url);
      gateway.events.on('call:end', count);
      return async () => {
        const queue = new PQueue({ concurrency: c });
        const responses = await Promise.all(
          requests.slice(0, n).map((request, index) =>
            queue.add(() =>
              gateway.call(request, {
                runId: 'bench',
                taskId: `item-${index + 1}`,
                role: 'worker',
              }),
            ),
          ),
        );
        return { ok: responses.length, ledger: gateway.ledger, finished };
      };
    }
    case 'pool': {
      const gateway = gatewayFor(url);
      gateway.events.on('task:end', count);
      const pool = new WorkerPool({ gateway, concurrency: c });
      return async () => {
        const results = await pool.submitAll(
          Array.from({ length: n }, (_, index) => ({
            id: `item-${index + 1}`,
            brief: briefOf(index),
          })),
        );
        return {
          ok: results.filter((result) => result.status === 'done').length,
          ledger: gateway.ledger,
          finished,
        };
      };
    }
    case 'army': {
      const army = createArmy({
        apiKey: 'bench',
        baseURL: url,
        workers: MODEL,
        concurrency: c,
        budget: { run: BUDGET },
        rateLimiter: new RateLimiter(),
        // The journal is on by default for users; the bench measures it in a layer of its own.
        journal: journal ?? false,
      });
      army.events.on('task:end', count);
      return async () => {
        const items = Array.from({ length: n }, (_, index) => index);
        const result = await army.map(items, (index) => briefOf(index));
        return {
          ok: result.subtasks.filter((subtask) => subtask.status === 'done').length,
          ledger: army.ledger,
          finished,
          status: result.status,
        };
      };
    }
    default:
      throw new Error(`Unknown layer "${layer}"; known: ${LAYERS.join(', ')}.`);
  }
}
