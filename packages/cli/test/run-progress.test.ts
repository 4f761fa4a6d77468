import type { ArmyStreamEvent, SubtaskResult } from '@haiku-army/orchestrator';
import { describe, expect, it } from 'vitest';
import { RunProgress } from '../src/view/run-progress.js';

const event = (value: Record<string, unknown>) => value as unknown as ArmyStreamEvent;

function finish(progress: RunProgress, id: string, cost: number, status = 'done') {
  progress.apply(event({ type: 'task:queued', taskId: id }));
  progress.apply(event({ type: 'task:start', taskId: id, model: 'claude-haiku-5-5' }));
  progress.apply(
    event({
      type: 'call:end',
      attribution: { runId: 'r', taskId: id, role: 'worker' },
      cost: { total: cost },
      model: 'claude-haiku-5-5',
    }),
  );
  progress.apply(event({ type: 'task:end', taskId: id, status }));
}

describe('RunProgress', () => {
  it('counts every state and keeps the dearest subtasks across a long map', () => {
    const progress = new RunProgress();
    for (let index = 0; index < 5_000; index++)
      finish(
        progress,
        `item-${index}`,
        (index * 7919) % 10_007,
        index % 10 === 0 ? 'failed' : 'done',
      );
    progress.apply(event({ type: 'task:queued', taskId: 'item-x' }));
    progress.apply(event({ type: 'task:queued', taskId: 'item-y' }));
    progress.apply(event({ type: 'task:start', taskId: 'item-y' }));
    expect(progress.known).toBe(5_002);
    expect(progress.count('done')).toBe(4_500);
    expect(progress.count('failed')).toBe(500);
    expect(progress.count('queued')).toBe(1);
    expect(progress.count('running')).toBe(1);
    expect(progress.finished).toBe(5_000);
    const costs = Array.from({ length: 5_000 }, (_, index) => (index * 7919) % 10_007).sort(
      (a, b) => b - a,
    );
    expect(progress.top(3).map((subtask) => subtask.cost)).toEqual(costs.slice(0, 3));
    expect(progress.cost).toBe(costs.reduce((sum, cost) => sum + cost, 0));
  });

  it('a running subtask that has cost the most shows in top; restore counts a resumed run', () => {
    const progress = new RunProgress();
    finish(progress, 'a', 10);
    progress.apply(event({ type: 'task:start', taskId: 'b' }));
    progress.apply(
      event({
        type: 'call:end',
        attribution: { runId: 'r', taskId: 'b', role: 'worker' },
        cost: { total: 50 },
        model: 'm',
      }),
    );
    expect(progress.top(2).map((subtask) => subtask.id)).toEqual(['b', 'a']);
    const restored = new RunProgress();
    restored.restore(
      [
        { id: 'x', status: 'done', cost: { total: 5 }, calls: 1 },
        { id: 'y', status: 'partial', cost: { total: 7 }, calls: 2 },
      ] as unknown as SubtaskResult[],
      12,
    );
    expect(restored.count('done', 'partial')).toBe(2);
    expect(restored.count('queued')).toBe(0);
    expect(restored.top(1)[0]!.id).toBe('y');
    expect(restored.cost).toBe(12);
    // A call ending after its subtask counts in the totals only: no subtask opens again.
    restored.apply(
      event({
        type: 'call:end',
        attribution: { runId: 'r', taskId: 'x', role: 'worker' },
        cost: { total: 3 },
        model: 'm',
      }),
    );
    expect(restored.known).toBe(2);
    expect(restored.count('running', 'queued')).toBe(0);
    expect(restored.cost).toBe(15);
  });
});
