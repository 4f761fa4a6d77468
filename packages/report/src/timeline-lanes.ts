import type { TimelineEntry } from '@haiku-army/orchestrator';

/** A timeline entry and the lane (0-based concurrency slot) it is drawn in. */
export interface LaneAssignment {
  lane: number;
  entry: TimelineEntry;
}

/**
 * Puts each call of a run's timeline in a lane, so that calls in one lane
 * never overlap: greedy interval partitioning, calls taken by start time,
 * each into the lowest-numbered lane that is free by then (a lane is free
 * again at the moment its last call ended, so back-to-back calls share it).
 * The number of lanes is the most calls that were in flight at once, i.e.
 * one lane per concurrency slot the run actually used.
 *
 * Hand-written: it is a dozen lines, and no charting library assigns lanes.
 *
 * @returns one assignment per entry, in the timeline's order.
 */
export function timelineLanes(timeline: readonly TimelineEntry[]): LaneAssignment[] {
  const order = timeline
    .map((entry, index) => ({ entry, index }))
    .sort(
      (a, b) =>
        a.entry.start - b.entry.start || endOf(a.entry) - endOf(b.entry) || a.index - b.index,
    );
  /** Each lane's end: when its last call ended. */
  const laneEnds: number[] = [];
  const lanes = new Array<number>(timeline.length);
  for (const { entry, index } of order) {
    let lane = laneEnds.findIndex((end) => end <= entry.start);
    if (lane === -1) lane = laneEnds.length;
    laneEnds[lane] = endOf(entry);
    lanes[index] = lane;
  }
  return timeline.map((entry, index) => ({ lane: lanes[index] ?? 0, entry }));
}

/** A call's end, never before its start. */
function endOf(entry: TimelineEntry): number {
  return Math.max(entry.start, entry.end);
}
