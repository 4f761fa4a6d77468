import type { ArmyEvents, RunStartEvent } from '@haiku-army/core';
import { trace } from '@opentelemetry/api';
import { ATTR, TRACER_NAME } from './attributes.js';
import { RunTrace } from './run-trace.js';

const instrumented = new WeakSet<ArmyEvents>();

/**
 * Traces every run on `events` with OpenTelemetry, when the host has
 * registered a tracer provider. One `run:start` listener is all it adds:
 * at each run's start it opens the run span, and when that span is not
 * recording (no provider registered, or not sampled) it attaches nothing
 * else, so an untraced run does no tracing work beyond that one no-op span.
 * Idempotent per emitter (armies may share one).
 */
export function instrumentArmyEvents(events: ArmyEvents): void {
  if (instrumented.has(events)) return;
  instrumented.add(events);
  events.on('run:start', (event: RunStartEvent) => {
    const tracer = trace.getTracer(TRACER_NAME);
    const run = tracer.startSpan('haiku-army.run', { attributes: { [ATTR.runId]: event.runId } });
    if (!run.isRecording()) {
      run.end();
      return;
    }
    new RunTrace(events, tracer, run, event.runId);
  });
}
