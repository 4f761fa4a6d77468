import {
  armyDefaultRole,
  createPlannerResponder,
  type FakeAnthropicServer,
  reply,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpArmy } from '../src/army-setup.js';
import { resolveIo } from '../src/cli-io.js';
import { connect } from '../src/connection.js';
import { army, Collector, PACKAGES_DIR } from './support/harness.js';

// Workers that use every turn they are allowed, each turn a wide grep (a large
// tool result) and a long text, and a synthesizer that writes at length: the
// high end must still cover what running the plan then bills.
const JOB = 'find every place that retries an API call';
const LONG = 'lorem ipsum dolor sit amet '.repeat(400);

let fake: FakeAnthropicServer;
beforeAll(async () => {
  fake = await startFakeAnthropic({
    route: armyDefaultRole,
    responders: {
      planner: createPlannerResponder({ maxShards: 3 }),
      worker: (request) => {
        const forced = (request.tool_choice as { name?: string } | undefined)?.name;
        if (forced === 'submit_result')
          return reply.toolUse('submit_result', {
            status: 'done',
            summary: 'Searched every file.',
          });
        return reply.toolCalls([{ name: 'grep', input: { pattern: 'e', path: '.' } }], {
          text: LONG,
        });
      },
      synthesizer: () => reply.text(LONG),
    },
  });
});
afterAll(() => fake.close());

describe('army estimate against heavy workers', () => {
  it('the high end covers a run whose workers take every turn', async () => {
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url };
    const { code, stdout, stderr } = await army(
      ['estimate', JOB, '--root', PACKAGES_DIR, '--json'],
      { env },
    );
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);

    const io = resolveIo({
      stdout: new Collector(),
      stderr: new Collector(),
      env,
      cwd: PACKAGES_DIR,
    });
    const connection = await connect(env);
    expect(connection.offline).toBe(false);
    const setup = setUpArmy({ root: PACKAGES_DIR }, connection, io, { journal: false });
    const result = await setup.army.runPlan(report.plan, { job: JOB });
    for (const subtask of result.subtasks) {
      // The worker ran until a limit stopped it: its 400,000-token cap, before the 12-turn limit.
      expect(subtask.code).toBe('MAX_TOKENS');
      expect(subtask.calls).toBeGreaterThanOrEqual(8);
      const forecast = report.subtasks.find((item: { id: string }) => item.id === subtask.id);
      expect(forecast.high).toBeGreaterThanOrEqual(subtask.cost.total);
      // ...and the expected value is below what such a worker costs.
      expect(forecast.expected).toBeLessThan(subtask.cost.total);
    }
    expect(report.synthesis.high).toBeGreaterThanOrEqual(result.cost.tree.synthesis.cost.total);
    expect(report.total.high).toBeGreaterThanOrEqual(result.cost.total);
    expect(result.cost.total).toBe(fake.billing.total() - report.planner.cost);
  }, 120_000);
});
