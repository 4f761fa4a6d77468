// Tracer providers for the fan-out bench's tracing layers (issue 14,
// point 3), registered in the measured process before the army is built.
import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api';
import { AlwaysOnSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

/** The tracing set-ups a layer can have. */
export const TRACING = ['noop', 'sdk'];

/**
 * A registered provider whose tracers only hand out non-recording spans: a
 * host that registered OpenTelemetry but samples nothing (or a library's
 * no-op provider). The army sees a provider and a span that is not recording.
 */
const noopProvider = {
  getTracer() {
    const span = () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return {
      startSpan: span,
      startActiveSpan(_name, ...rest) {
        return rest.at(-1)(span());
      },
    };
  },
};

/**
 * Registers `noop` (the provider above) or `sdk` (the SDK's provider,
 * sampling every span, with no span processor: the span work without an
 * exporter's) as the global tracer provider.
 */
export function registerTracing(kind) {
  if (kind === 'noop') trace.setGlobalTracerProvider(noopProvider);
  else if (kind === 'sdk')
    trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler: new AlwaysOnSampler() }));
  else throw new Error(`Unknown tracing "${kind}"; known: ${TRACING.join(', ')}.`);
}
