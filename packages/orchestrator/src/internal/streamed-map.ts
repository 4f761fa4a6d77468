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
  /** Cancelled, or the run's budget is spent: no further chunk is read or run. */
  halted: () => boolean;
  onChunk: (subtasks: PlanSubtask[]) => void;
  /**
   * Chunks read past the one running (each sent ahead as it is read): 0
   * reads the next chunk once the one before has ended.
   */
  ahead: number;
  /**
   * Sends a chunk's first calls ahead (batch mode; a no-op otherwise);
   * false if the budget could not reserve them all (the rest are made when
   * their subtasks run).
   */
  sendAhead: (subtasks: PlanSubtask[]) => Promise<boolean>;
  /** Runs subtasks; returns whether one failed under fail-fast. */
  run: (subtasks: PlanSubtask[]) => Promise<boolean>;
  /** Records subtasks as skipped by fail-fast. */
  skip: (subtasks: PlanSubtask[]) => Promise<void>;
  /** Gives up the calls sent ahead for chunks that will not run (their batches are cancelled). */
  abandon: () => void;
}

/**
 * Runs a streamed map a chunk at a time: first the chunks a resumed run
 * read before (their unfinished subtasks, whose submitted batches the
 * collector reattaches to), then, after skipping the items those chunks
 * covered, new chunks read from the iterable. Each chunk is journaled (and
 * flushed) as it is read, up to `ahead` chunks past the one running, and
 * sent ahead, so in batch mode that many more batches are at the API while
 * one chunk runs (without it, each batch would wait for the one before to
 * end); memory holds `1 + ahead` chunks' subtasks and requests at a time.
 * Chunks run one after another, in order. Returns whether the run stopped
 * under fail-fast.
 */
export async function runStreamedMap(run: StreamedMapRun): Promise<boolean> {
  const { stream, ids } = run;
  // The ids read so far, to check a map's own `id` for repeats; its default
  // ids (item-1, item-2, ...) cannot repeat, and a long map keeps no set of them.
  const known = stream.rule?.id ? new Set<string>() : undefined;
  let failedFast = run.failedFast;
  /** The next chunk's index (journaled chunks first). */
  let next = 0;
  let ended = stream.chunks.at(-1)?.end ?? false;
  /** Whether the items the journaled chunks covered were skipped in the source. */
  let skipped = false;

  /** The next chunk's subtasks: journaled, or read from the iterable and journaled (undefined: none is read now). */
  const read = async (): Promise<PlanSubtask[] | undefined> => {
    if (next < stream.chunks.length) {
      const chunk = stream.chunks[next]!;
      // Taken once: a resumed long map's journaled chunks (a stand-in per
      // finished item) are let go as they are taken; the last keeps its
      // subtasks (where reading on starts).
      if (next < stream.chunks.length - 1) stream.chunks[next] = { ...chunk, subtasks: [] };
      next += 1;
      return chunk.subtasks;
    }
    if (ended || failedFast || run.halted()) return undefined;
    const { source, rule } = stream;
    if (!skipped) {
      const last = stream.chunks.at(-1);
      if (!source || !rule)
        throw new ArmyError(
          ERROR_CODES.INVALID_OPTIONS,
          `Run ${run.runId} is a map over an iterable that was not read to its end (${last ? last.from + last.count : 0} items read); ` +
            'pass the same `items` and `brief` (and `id`, if the map had one) to army.resume(runId, { items, brief }) so it can read on.',
        );
      await source.skip(last ? last.from + last.count : 0, (item, index) => {
        if (!rule.id) return;
        const id = rule.id(item, index);
        if (id !== ids[index])
          throw invalidOption(
            'items',
            `the items the run read before, in the same order (item ${index} had id ${JSON.stringify(ids[index])})`,
            `an item with id ${JSON.stringify(id)}`,
          );
      });
      skipped = true;
    }
    const chunk = await source!.next(stream.chunkSize);
    if (chunk.items.length === 0 && chunk.from === 0)
      throw invalidOption('items', 'a non-empty iterable', 'an iterable with no items');
    const subtasks = mapSubtasks(chunk.items, chunk.from, rule!, known);
    await run.recorder.chunkRead?.({
      runId: run.runId,
      index: next++,
      from: chunk.from,
      count: chunk.items.length,
      end: chunk.end,
      subtasks,
    });
    ended = chunk.end;
    return subtasks;
  };

  /** A chunk read: its ids are the run's, its plan is announced; returns what of it is still to run. */
  const take = (subtasks: PlanSubtask[]): PlanSubtask[] => {
    for (const subtask of subtasks) {
      ids.push(subtask.id);
      known?.add(subtask.id);
    }
    run.onChunk(subtasks);
    return subtasks.filter((subtask) => !run.finished(subtask));
  };

  /** Chunks read that have not run yet, oldest first: what of each is still to run, and whether it was sent ahead (`part`: not all the budget could hold). */
  const queue: { todo: PlanSubtask[]; sent: 'no' | 'all' | 'part' }[] = [];
  /**
   * Sends ahead, in order, each waiting chunk whose every earlier chunk went
   * in full: what the budget cannot hold now goes to earlier items first
   * (calls refused ahead are made when their chunk runs, and a later chunk
   * must not take the budget they need).
   */
  const sendAhead = async (): Promise<void> => {
    for (const chunk of queue) {
      if (failedFast || run.halted()) return;
      if (chunk.sent === 'no') chunk.sent = (await run.sendAhead(chunk.todo)) ? 'all' : 'part';
      if (chunk.sent === 'part') return;
    }
  };
  /** A read that failed (a bad item, the iterable threw): thrown once the chunks read before it have run, as without chunks ahead. */
  let readFailure: { error: unknown } | undefined;
  try {
    for (;;) {
      while (queue.length <= run.ahead && !readFailure) {
        let subtasks: PlanSubtask[] | undefined;
        try {
          subtasks = await read();
        } catch (error) {
          readFailure = { error };
          break;
        }
        if (!subtasks) break;
        const todo = take(subtasks);
        queue.push({ todo, sent: todo.length > 0 ? 'no' : 'all' });
      }
      await sendAhead();
      const todo = queue.shift()?.todo;
      if (!todo) {
        if (readFailure) throw readFailure.error;
        break;
      }
      if (run.halted()) {
        // Not run: the journal has the chunks, and a resume runs them.
        queue.length = 0;
        run.abandon();
        while (next < stream.chunks.length) take(stream.chunks[next++]!.subtasks);
        break;
      }
      if (todo.length === 0) continue;
      if (failedFast) await run.skip(todo);
      else if (await run.run(todo)) failedFast = true;
    }
    return failedFast;
  } finally {
    // Chunks sent ahead that will not run (the run threw): nobody waits for their batches.
    if (queue.length > 0) run.abandon();
    await stream.source?.close();
  }
}
