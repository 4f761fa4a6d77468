import { ArmyError, ERROR_CODES, invalidOption } from '@haiku-army/core';
import type { PlanSubtask } from '../plan.js';
import type { RunRecorder } from '../run-recorder.js';
import { mapSubtasks } from './map-subtasks.js';
import type { StreamedMap } from './run-spec.js';

/** What {@link runStreamedMap} needs from its run. */
export interface StreamedMapRun {
  runId: string;
  stream: StreamedMap;
  /** Filled with every item's subtask id, in order. */
  ids: string[];
  /** Whether a subtask finished before its chunk runs (one a resume kept). */
  finished: (subtask: PlanSubtask) => boolean;
  /** A kept failure already stopped the run under fail-fast. */
  failedFast: boolean;
  recorder: RunRecorder;
  /** Cancelled, or the run's budget is spent: no further chunk is read. */
  halted: () => boolean;
  onChunk: (subtasks: PlanSubtask[]) => void;
  /** Runs subtasks; returns whether one failed under fail-fast. */
  run: (subtasks: PlanSubtask[]) => Promise<boolean>;
  /** Records subtasks as skipped by fail-fast. */
  skip: (subtasks: PlanSubtask[]) => Promise<void>;
}

/**
 * Runs a streamed map a chunk at a time: first the chunks a resumed run
 * read before (their unfinished subtasks, whose submitted batches the
 * collector reattaches to), then, after skipping the items those chunks
 * covered, new chunks read from the iterable. Each chunk is journaled (and
 * flushed) before its subtasks start, and runs to its end before the next
 * is read, so memory holds one chunk's subtasks and requests at a time.
 * Returns whether the run stopped under fail-fast.
 */
export async function runStreamedMap(run: StreamedMapRun): Promise<boolean> {
  const { stream, ids } = run;
  // The ids read so far, to check a map's own `id` for repeats; its default
  // ids (item-1, item-2, ...) cannot repeat, and a long map keeps no set of them.
  const known = stream.rule?.id ? new Set<string>() : undefined;
  let failedFast = run.failedFast;
  const go = async (subtasks: PlanSubtask[]): Promise<void> => {
    const todo = subtasks.filter((subtask) => !run.finished(subtask));
    if (todo.length === 0) return;
    if (failedFast) await run.skip(todo);
    else if (await run.run(todo)) failedFast = true;
  };
  try {
    for (const chunk of stream.chunks) {
      for (const subtask of chunk.subtasks) {
        ids.push(subtask.id);
        known?.add(subtask.id);
      }
      run.onChunk(chunk.subtasks);
      if (!run.halted()) await go(chunk.subtasks);
    }
    const last = stream.chunks.at(-1);
    if (last?.end || run.halted()) return failedFast;
    const { source, rule } = stream;
    if (!source || !rule)
      throw new ArmyError(
        ERROR_CODES.INVALID_OPTIONS,
        `Run ${run.runId} is a map over an iterable that was not read to its end (${last ? last.from + last.count : 0} items read); ` +
          'pass the same `items` and `brief` (and `id`, if the map had one) to army.resume(runId, { items, brief }) so it can read on.',
      );
    const read = last ? last.from + last.count : 0;
    await source.skip(read, (item, index) => {
      if (!rule.id) return;
      const id = rule.id(item, index);
      if (id !== ids[index])
        throw invalidOption(
          'items',
          `the items the run read before, in the same order (item ${index} had id ${JSON.stringify(ids[index])})`,
          `an item with id ${JSON.stringify(id)}`,
        );
    });
    for (let index = stream.chunks.length; !failedFast && !run.halted(); index++) {
      const chunk = await source.next(stream.chunkSize);
      if (chunk.items.length === 0 && chunk.from === 0)
        throw invalidOption('items', 'a non-empty iterable', 'an iterable with no items');
      const subtasks = mapSubtasks(chunk.items, chunk.from, rule, known);
      await run.recorder.chunkRead?.({
        runId: run.runId,
        index,
        from: chunk.from,
        count: chunk.items.length,
        end: chunk.end,
        subtasks,
      });
      for (const subtask of subtasks) {
        ids.push(subtask.id);
        known?.add(subtask.id);
      }
      run.onChunk(subtasks);
      await go(subtasks);
      if (chunk.end) break;
    }
    return failedFast;
  } finally {
    await stream.source?.close();
  }
}
