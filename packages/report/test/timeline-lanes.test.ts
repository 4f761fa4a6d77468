import type { TimelineEntry } from '@haiku-army/orchestrator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timelineLanes } from '../src/index.js';

const call = (start: number, end: number, taskId = `t${start}-${end}`): TimelineEntry => ({
  start,
  end,
  taskId,
  role: 'worker',
  model: 'claude-haiku-5-5',
  attempt: 1,
  outcome: 'success',
});

const lanesOf = (timeline: TimelineEntry[]) => timelineLanes(timeline).map(({ lane }) => lane);

describe('timelineLanes', () => {
  it('is empty for an empty timeline', () => {
    expect(timelineLanes([])).toEqual([]);
  });

  it('keeps calls one after another in one lane (back to back included)', () => {
    expect(lanesOf([call(0, 10), call(10, 20), call(25, 30)])).toEqual([0, 0, 0]);
  });

  it('opens a lane per call in flight at once, and reuses the lowest free one', () => {
    // a: 0-10, b: 2-20, c: 4-6, d: 7-9 (c's lane is free again), e: 11-12 (a's lane is free).
    expect(lanesOf([call(0, 10), call(2, 20), call(4, 6), call(7, 9), call(11, 12)])).toEqual([
      0, 1, 2, 2, 0,
    ]);
  });

  it('answers in the timeline’s order, whatever order the calls ended in', () => {
    const timeline = [call(5, 9, 'late'), call(0, 10, 'early')];
    const lanes = timelineLanes(timeline);
    expect(lanes.map(({ entry }) => entry.taskId)).toEqual(['late', 'early']);
    expect(lanes.map(({ lane }) => lane)).toEqual([1, 0]);
  });

  it('treats a call that ends before it starts as a point', () => {
    expect(lanesOf([call(10, 5), call(10, 12)])).toEqual([0, 0]);
  });

  it('never overlaps two calls in a lane, and uses exactly as many lanes as calls ran at once', () => {
    const interval = fc
      .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 200 }))
      .map(([start, length]) => call(start, start + length));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 60 }), (timeline) => {
        const assigned = timelineLanes(timeline);
        expect(assigned).toHaveLength(timeline.length);
        for (const [index, a] of assigned.entries()) {
          expect(a.entry).toBe(timeline[index]);
          for (const b of assigned.slice(index + 1)) {
            if (a.lane !== b.lane) continue;
            const overlap = a.entry.start < b.entry.end && b.entry.start < a.entry.end;
            expect(overlap).toBe(false);
          }
        }
        // The most calls in flight at once (half-open intervals), by sweeping starts and ends.
        const events = timeline.flatMap((entry) =>
          entry.end > entry.start
            ? [
                [entry.start, 1],
                [entry.end, -1],
              ]
            : [],
        );
        events.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
        let inFlight = 0;
        let most = 0;
        for (const [, delta] of events) {
          inFlight += delta!;
          most = Math.max(most, inFlight);
        }
        const lanes = new Set(assigned.map(({ lane }) => lane)).size;
        // Zero-length calls need a lane too, but never a new one beyond the busiest moment + 1.
        if (timeline.every((entry) => entry.end > entry.start)) expect(lanes).toBe(most);
        else expect(lanes).toBeLessThanOrEqual(Math.max(1, most + 1));
        // Lanes are numbered from 0 without gaps.
        expect([...new Set(assigned.map(({ lane }) => lane))].sort((x, y) => x - y)).toEqual([
          ...Array(lanes).keys(),
        ]);
      }),
    );
  });
});
