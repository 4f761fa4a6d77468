import type { Fault } from '../faults.js';
import type { Message } from '../wire-types.js';
import { encodeEvent, messageEvents } from './sse.js';

/** Options for {@link messageStream}. */
export interface MessageStreamOptions {
  /** A `stream_cut` or `stream_error_event` fault to apply, if any. */
  fault: Fault | undefined;
  /** Delay per output token, spread over the deltas. */
  perTokenMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Called once when the stream starts (`message_start` is about to be sent). */
  onBegin: () => void;
  /**
   * Called once when the stream ends, with the output tokens sent so far:
   * `complete` when `message_stop` is sent, `cut` for a simulated fault,
   * `aborted` when the client went away after `message_start` was sent, and
   * `abandoned` when it went away before.
   */
  onEnd: (outputTokens: number, outcome: StreamOutcome) => void;
}

/** How a streamed response ended. */
export type StreamOutcome = 'complete' | 'cut' | 'aborted' | 'abandoned';

/**
 * The SSE body of a streamed message. Pull-based with no buffering: an
 * event is produced only when the client reads, so everything before a
 * simulated cut has really been delivered, and a client that goes away
 * cancels the stream.
 */
export function messageStream(
  message: Message,
  options: MessageStreamOptions,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const events = messageEvents(message);
  const fault =
    options.fault?.kind === 'stream_cut' || options.fault?.kind === 'stream_error_event'
      ? options.fault
      : undefined;
  const breakAt = fault
    ? Math.min(events.length - 1, Math.max(1, fault.afterEvents ?? Math.floor(events.length / 2)))
    : -1;
  let index = 0;
  let sentTokens = 0;
  let ended = false;
  const end = (outcome: StreamOutcome, tokens: number) => {
    if (ended) return;
    ended = true;
    options.onEnd(tokens, outcome);
  };
  return new ReadableStream<Uint8Array>(
    {
      start() {
        options.onBegin();
      },
      async pull(controller) {
        if (index === breakAt && fault) {
          index = events.length + 1;
          end('cut', sentTokens);
          if (fault.kind === 'stream_cut') {
            controller.error(new Error('Simulated dropped connection (stream_cut fault).'));
            return;
          }
          controller.enqueue(
            encoder.encode(
              encodeEvent('error', {
                type: 'error',
                error: { type: 'overloaded_error', message: 'Overloaded (injected stream fault).' },
              }),
            ),
          );
          controller.close();
          return;
        }
        const event = events[index];
        index += 1;
        if (!event) {
          controller.close();
          return;
        }
        if (event.event === 'message_stop') end('complete', message.usage.output_tokens);
        controller.enqueue(encoder.encode(encodeEvent(event.event, event.data)));
        sentTokens += event.tokens;
        if (event.tokens > 0 && options.perTokenMs > 0) {
          await options.sleep(event.tokens * options.perTokenMs);
        }
      },
      cancel() {
        // The client went away (a no-op after message_stop): once message_start
        // was sent, the API has begun work and bills what it sent.
        end(index > 0 ? 'aborted' : 'abandoned', sentTokens);
      },
    },
    { highWaterMark: 0 },
  );
}
