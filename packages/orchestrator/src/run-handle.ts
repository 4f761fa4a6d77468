import type { ArmyEventMap, ArmyEventName, ArmyEvents } from '@haiku-army/core';
import type { RunResult } from './run-result.js';

/** One event of a run as a stream item: the payload plus its name in `type`. */
export type ArmyStreamEvent = {
  [K in ArmyEventName]: { type: K } & Parameters<ArmyEventMap[K]>[0];
}[ArmyEventName];

const EVENT_NAMES: readonly ArmyEventName[] = [
  'run:start',
  'plan:ready',
  'task:queued',
  'task:start',
  'task:escalate',
  'task:end',
  'call:retry',
  'call:end',
  'budget:warning',
  'budget:critical',
  'budget:exceeded',
  'run:end',
];

/** Whether an event belongs to the run (budget events: its run and task scopes, and day/month caps). */
function belongsTo(runId: string, event: ArmyStreamEvent): boolean {
  if ('attribution' in event) return event.attribution.runId === runId;
  if ('runId' in event) return event.runId === runId;
  if ('scope' in event) {
    if (event.scope === 'run') return event.key === runId;
    if (event.scope === 'task') return event.key.startsWith(`${runId}/`);
    return true;
  }
  return false;
}

/** The package-internal key of {@link RunHandle}'s switch to no replay. */
export const STOP_REPLAY: unique symbol = Symbol('haiku-army.stopReplay');

/**
 * A run in progress: await it for the {@link RunResult}, or iterate it for
 * the run's events (`run:start` ... `run:end`), as they happen. Events are
 * buffered from the start, so a late iterator still sees all of them;
 * except for a streamed map (items from an iterable), whose handle hands
 * each event only to the iterators started by then (start one before the
 * run's first await), so its memory does not grow with the item count.
 *
 * @example
 * for await (const event of army.stream(job)) if (event.type === 'task:end') console.log(event.taskId);
 */
export class RunHandle<TAnswer = string>
  implements PromiseLike<RunResult<TAnswer>>, AsyncIterable<ArmyStreamEvent>
{
  /** The run's id. */
  readonly runId: string;
  /** Resolves with the run's result. */
  readonly result: Promise<RunResult<TAnswer>>;
  readonly #events: ArmyStreamEvent[] = [];
  /** Without replay: each running iterator's events not yet taken. */
  readonly #queues = new Set<ArmyStreamEvent[]>();
  #replay: boolean;
  /** Replaying iterators started (they index into the buffer). */
  #replaying = 0;
  readonly #waiters = new Set<() => void>();
  #ended = false;

  /** `replay: false`: no buffer for late iterators (a streamed map's handle). */
  constructor(
    runId: string,
    events: ArmyEvents,
    start: () => Promise<RunResult<TAnswer>>,
    options: { replay?: boolean } = {},
  ) {
    this.runId = runId;
    this.#replay = options.replay ?? true;
    const listeners = EVENT_NAMES.map((name) => {
      const listener = (payload: object) => {
        if (!this.#replay && this.#queues.size === 0) return;
        const event = { type: name, ...payload } as ArmyStreamEvent;
        if (!belongsTo(runId, event)) return;
        if (this.#replay) this.#events.push(event);
        else for (const queue of this.#queues) queue.push(event);
        this.#wake();
      };
      events.on(name, listener as never);
      return () => events.off(name, listener as never);
    });
    this.result = start().finally(() => {
      for (const remove of listeners) remove();
      this.#ended = true;
      this.#wake();
    });
    this.result.catch(() => {});
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  // biome-ignore lint/suspicious/noThenProperty: a RunHandle is awaitable on purpose.
  then<R1 = RunResult<TAnswer>, R2 = never>(
    onFulfilled?: ((value: RunResult<TAnswer>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.result.then(onFulfilled, onRejected);
  }

  /**
   * Stops buffering for late iterators (package-internal: a resumed run
   * learns from its journal that it is a streamed map). Kept when a
   * replaying iterator has started already.
   */
  [STOP_REPLAY](): void {
    if (this.#replaying > 0) return;
    this.#replay = false;
    this.#events.length = 0;
  }

  [Symbol.asyncIterator](): AsyncIterator<ArmyStreamEvent> {
    if (this.#replay) {
      this.#replaying += 1;
      return this.#replayed();
    }
    // Registered now, not at the first next(), so no event is missed in between.
    const queue: ArmyStreamEvent[] = [];
    this.#queues.add(queue);
    return this.#queued(queue);
  }

  async *#queued(queue: ArmyStreamEvent[]): AsyncGenerator<ArmyStreamEvent> {
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (this.#ended) {
          await this.result;
          return;
        }
        await new Promise<void>((resolve) => this.#waiters.add(resolve));
      }
    } finally {
      this.#queues.delete(queue);
    }
  }

  async *#replayed(): AsyncGenerator<ArmyStreamEvent> {
    let index = 0;
    for (;;) {
      while (index < this.#events.length) yield this.#events[index++]!;
      if (this.#ended) {
        // A run that failed to start rejects the iteration too.
        await this.result;
        return;
      }
      await new Promise<void>((resolve) => this.#waiters.add(resolve));
    }
  }
}
