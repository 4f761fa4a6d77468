import type { ArmyEvents, BatchEndedEvent, BatchSubmittedEvent, NanoUsd } from '@haiku-army/core';
import type { ArmyStreamEvent } from '@haiku-army/orchestrator';
import { createLogUpdate } from 'log-update';
import type { ResolvedIo } from '../cli-io.js';
import { LIVE_VIEW_INTERVAL_MS } from '../constants.js';
import { eventLine } from './event-lines.js';
import { renderLiveView } from './live-view.js';
import { type RestoredSubtask, RunProgress } from './run-progress.js';

/** Options of a {@link RunView}. */
export interface RunViewOptions {
  io: ResolvedIo;
  runId: string;
  job: string;
  /** `offline (fake API)` or `live API`, and `batch` when it is. */
  mode: string;
  /** Calls in flight right now. */
  inFlight: () => number;
  /** The emitter batch events arrive on. */
  events: ArmyEvents;
  /** The run's cap, nano-USD. */
  budget?: NanoUsd;
  /** Redraw in place (a terminal) rather than one line per event. */
  live: boolean;
  /**
   * Event lines for a map of many items: no line per item queued, started,
   * call or done; its failures, chunks, batches and the run's end still get one.
   */
  quiet?: boolean;
  /** A resumed run: the subtasks it keeps and what it had spent. */
  restored?: { results: readonly RestoredSubtask[]; spent: NanoUsd };
}

/** An event a quiet view prints no line for: one per item, not a failure. */
function perItemEvent(event: ArmyStreamEvent): boolean {
  switch (event.type) {
    case 'task:queued':
    case 'task:start':
    case 'call:end':
      return true;
    case 'task:end':
      // Failures and partial results get a line; a stop's cancels and skips are in the counts.
      return event.status !== 'failed' && event.status !== 'partial';
    default:
      return false;
  }
}

/**
 * Shows a run as it goes, on stderr: on a terminal a live view redrawn in
 * place (log-update), else one line per event.
 */
export class RunView {
  readonly progress = new RunProgress();
  readonly #options: RunViewOptions;
  readonly #startedAt: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #draw: ReturnType<typeof createLogUpdate> | undefined;
  #cancelling = false;
  readonly #onSubmitted = (event: BatchSubmittedEvent) => {
    this.progress.applyBatch({ type: 'submitted', requests: event.requests });
    this.#line(`batch   ${event.batchId} submitted: ${event.requests} requests`);
  };
  readonly #onEnded = (event: BatchEndedEvent) => {
    const counts = event.requestCounts;
    const requests =
      counts.succeeded + counts.errored + counts.canceled + counts.expired + counts.processing;
    this.progress.applyBatch({ type: 'ended', requests });
    this.#line(
      `batch   ${event.batchId} ended: ${counts.succeeded} succeeded, ${counts.errored} errored, ${counts.expired} expired, ${counts.canceled} cancelled`,
    );
  };

  constructor(options: RunViewOptions) {
    this.#options = options;
    this.#startedAt = options.io.now();
    if (options.restored) this.progress.restore(options.restored.results, options.restored.spent);
    options.events.on('batch:submitted', this.#onSubmitted);
    options.events.on('batch:ended', this.#onEnded);
    if (options.live) {
      this.#draw = createLogUpdate(options.io.stderr as NodeJS.WritableStream, {
        showCursor: false,
      });
      this.#timer = setInterval(() => this.#render(), LIVE_VIEW_INTERVAL_MS);
      this.#timer.unref?.();
      this.#render();
    }
  }

  /** Folds in one of the run's events. */
  onEvent(event: ArmyStreamEvent): void {
    this.progress.apply(event);
    if (this.#draw) return;
    if (this.#options.quiet && perItemEvent(event)) return;
    const line = eventLine(event, this.#options.io.now() - this.#startedAt);
    if (line !== undefined) this.#line(line);
  }

  /** Ctrl-C was pressed: say the run is being cancelled. */
  cancelling(): void {
    this.#cancelling = true;
    if (this.#draw) this.#render();
    else
      this.#line(
        'Ctrl-C: cancelling the run, keeping what finished (Ctrl-C again to quit at once)',
      );
  }

  /** Draws the last frame and stops redrawing. */
  stop(): void {
    this.#options.events.off('batch:submitted', this.#onSubmitted);
    this.#options.events.off('batch:ended', this.#onEnded);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#draw) {
      this.#render();
      this.#draw.done();
      this.#draw = undefined;
    }
  }

  #line(text: string): void {
    if (this.#draw) return;
    this.#options.io.err(text);
  }

  #render(): void {
    const { io, runId, job, mode, budget } = this.#options;
    this.#draw?.(
      renderLiveView(this.progress, {
        runId,
        job,
        mode,
        elapsedMs: io.now() - this.#startedAt,
        inFlight: this.#options.inFlight(),
        cancelling: this.#cancelling,
        width: io.stderr.columns ?? 80,
        ...(budget !== undefined ? { budget } : {}),
      }),
    );
  }
}
