import { invalidOption, type ModelInfo } from '@haiku-army/core';
import type { Reply } from './replies.js';
import type { MessageRequest } from './wire-types.js';

/** What a responder knows about the call besides the request body. */
export interface ResponderContext {
  /** The requested model, resolved in the catalog. */
  model: ModelInfo;
  /** The request id the fake will return in `request-id`. */
  requestId: string;
  /** 1-based number of this call among calls answered for this model. */
  call: number;
  /** A seeded random number in [0, 1), for reproducible variety. */
  random(): number;
  /** Set when the request is part of a Message Batch. */
  batch?: { id: string; customId: string };
}

/**
 * A scripted model: turns a request into a reply. Return a {@link Reply}
 * (build one with `reply.*`) or a plain string as a shorthand for a text reply.
 *
 * @example
 * const echo: Responder = (request) => reply.text(`You said: ${lastUserText(request)}`);
 */
export type Responder = (
  request: MessageRequest,
  context: ResponderContext,
) => Reply | string | Promise<Reply | string>;

/**
 * Chooses a named responder for a request (e.g. by role), or `undefined` to
 * fall back to the per-model responder.
 */
export type ResponderRoute = (request: MessageRequest) => string | undefined;

/**
 * A responder that answers with each step in turn (a reply, a string, or a
 * responder to call) and repeats the last step when they run out.
 *
 * @example
 * fake.script('claude-haiku-5-5', sequence(reply.toolUse('grep', { pattern: 'x' }), reply.text('done')));
 */
export function sequence(...steps: (Reply | string | Responder)[]): Responder {
  if (steps.length === 0) throw invalidOption('sequence(...steps)', 'at least one step', 'none');
  let index = 0;
  return (request, context) => {
    const next = steps[Math.min(index, steps.length - 1)]!;
    index += 1;
    return typeof next === 'function' ? next(request, context) : next;
  };
}
