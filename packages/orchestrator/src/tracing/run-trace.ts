import type {
  ArmyEventMap,
  ArmyEventName,
  ArmyEvents,
  CallEndEvent,
  RunEndEvent,
  TaskEndEvent,
  TaskEscalateEvent,
  TaskEvent,
} from '@haiku-army/core';
import {
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { PLANNER_TASK_ID, SYNTHESIS_TASK_ID } from '../constants.js';
import { ATTR, callAttributes } from './attributes.js';

/** One subtask's span and its open attempt span (a pool run of one model). */
interface TaskSpans {
  span: Span;
  attempt?: Span;
  attempts: number;
}

/**
 * The spans of one run, built from the army's events: run -> plan (the
 * first round's planner calls) -> ..., run -> subtask -> attempt -> call,
 * run -> synthesis -> call. Call spans are made when a call ends, dated
 * back by its latency. Listens to its run's events only, and stops at `run:end`.
 */
export class RunTrace {
  readonly #runId: string;
  readonly #tracer: Tracer;
  readonly #run: Span;
  #plan: Span | undefined;
  readonly #tasks = new Map<string, TaskSpans>();
  readonly #detach: (() => void)[] = [];

  constructor(events: ArmyEvents, tracer: Tracer, run: Span, runId: string) {
    this.#runId = runId;
    this.#tracer = tracer;
    this.#run = run;
    this.#plan = this.#start('haiku-army.plan', this.#run, { [ATTR.taskId]: PLANNER_TASK_ID });
    this.#on(events, 'plan:ready', () => {
      this.#plan?.end();
      this.#plan = undefined;
    });
    this.#on(events, 'task:start', (event) => this.#taskStart(event));
    this.#on(events, 'task:escalate', (event) => this.#escalate(event));
    this.#on(events, 'task:end', (event) => this.#taskEnd(event));
    this.#on(events, 'call:end', (event) => this.#call(event));
    this.#on(events, 'run:end', (event) => this.#end(event));
  }

  #on<K extends ArmyEventName>(
    events: ArmyEvents,
    name: K,
    handle: (event: Parameters<ArmyEventMap[K]>[0]) => void,
  ): void {
    const listener = ((event: { runId?: string; attribution?: { runId: string } }) => {
      const runId = event.attribution?.runId ?? event.runId;
      if (runId === this.#runId) handle(event as never);
    }) as ArmyEventMap[K];
    events.on(name, listener as never);
    this.#detach.push(() => events.off(name, listener as never));
  }

  #start(
    name: string,
    parent: Span,
    attributes: Record<string, string | number>,
    startTime?: number,
  ) {
    return this.#tracer.startSpan(
      name,
      {
        kind: SpanKind.INTERNAL,
        attributes: { [ATTR.runId]: this.#runId, ...attributes },
        ...(startTime !== undefined ? { startTime } : {}),
      },
      trace.setSpan(context.active(), parent),
    );
  }

  #taskStart(event: TaskEvent): void {
    const known = this.#tasks.get(event.taskId);
    if (!known) {
      const name =
        event.taskId === SYNTHESIS_TASK_ID ? 'haiku-army.synthesis' : 'haiku-army.subtask';
      const attributes: Record<string, string> = { [ATTR.taskId]: event.taskId };
      if (event.parentTaskId !== undefined) attributes[ATTR.parentTaskId] = event.parentTaskId;
      const spans: TaskSpans = { span: this.#start(name, this.#run, attributes), attempts: 0 };
      this.#tasks.set(event.taskId, spans);
      // The orchestrator's start has no model; the pool's (one attempt) does.
      if (event.model === undefined) return;
      this.#attempt(spans, event);
      return;
    }
    if (event.model !== undefined) this.#attempt(known, event);
  }

  #attempt(spans: TaskSpans, event: TaskEvent): void {
    spans.attempt?.end();
    spans.attempts += 1;
    spans.attempt = this.#start(`haiku-army.attempt ${event.model}`, spans.span, {
      [ATTR.taskId]: event.taskId,
      [ATTR.attempt]: spans.attempts,
      'gen_ai.request.model': event.model!,
    });
  }

  #escalate(event: TaskEscalateEvent): void {
    this.#tasks.get(event.taskId)?.span.addEvent('haiku-army.escalate', {
      from: event.from,
      to: event.to,
      reason: event.reason,
    });
  }

  #taskEnd(event: TaskEndEvent): void {
    const spans = this.#tasks.get(event.taskId);
    if (!spans) return;
    const target = spans.attempt ?? spans.span;
    target.setAttribute(ATTR.status, event.status);
    target.setAttribute(ATTR.cost, event.cost);
    if (event.code !== undefined) target.setAttribute(ATTR.code, event.code);
    if (event.status !== 'done')
      target.setStatus({ code: SpanStatusCode.ERROR, message: event.reason ?? event.status });
    target.end();
    // An attempt ended: the subtask goes on until its own (orchestrator's) end.
    if (spans.attempt) spans.attempt = undefined;
    else this.#tasks.delete(event.taskId);
  }

  #call(event: CallEndEvent): void {
    const { attribution } = event;
    const spans = this.#tasks.get(attribution.taskId);
    const parent =
      spans?.attempt ??
      spans?.span ??
      (attribution.role === 'planner' && this.#plan ? this.#plan : this.#run);
    const end = Date.now();
    const span = this.#tracer.startSpan(
      `chat ${event.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: callAttributes(event),
        startTime: end - event.latencyMs,
      },
      trace.setSpan(context.active(), parent),
    );
    if (event.outcome !== 'success')
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: event.error?.message ?? event.outcome,
      });
    span.end(end);
  }

  #end(event: RunEndEvent): void {
    for (const remove of this.#detach) remove();
    this.#plan?.end();
    for (const spans of this.#tasks.values()) {
      spans.attempt?.end();
      spans.span.end();
    }
    this.#tasks.clear();
    this.#run.setAttribute(ATTR.status, event.status);
    this.#run.setAttribute(ATTR.cost, event.cost);
    if (event.status !== 'done')
      this.#run.setStatus({
        code: SpanStatusCode.ERROR,
        message: event.error?.message ?? event.status,
      });
    this.#run.end();
  }
}
