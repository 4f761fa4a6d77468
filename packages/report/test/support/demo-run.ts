import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createArmy, type RunResult } from '@haiku-army/orchestrator';
import type { FakeAnthropicServer } from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';

/**
 * An offline codebase-search run against the fake's simulated planner,
 * workers and synthesizer over a small generated repository, three calls at
 * a time, with two transient server errors queued so some calls are retried.
 */
export async function demoRun(fake: FakeAnthropicServer): Promise<RunResult> {
  const root = mkdtempSync(join(tmpdir(), 'army-report-'));
  for (let index = 1; index <= 9; index++) {
    const path = `src/area-${index % 3}/module-${index}.ts`;
    const body =
      index % 2 === 0 ? 'export const load = () => retryCall(fetchAll);\n' : '// nothing here\n';
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), body);
  }
  fake.faults.enqueue({ kind: 'server_error', status: 500 });
  fake.faults.enqueue({ kind: 'overloaded', retryAfterMs: 10 });
  const army = createArmy({
    baseURL: fake.url,
    apiKey: 'test-key',
    concurrency: 3,
    tools: codebaseTools({ root }),
    context: `root: ${root}`,
  });
  return army.run('find every place that calls "retryCall" <script>alert(1)</script>');
}
