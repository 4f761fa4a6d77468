import { invalidOption, type ModelInfo } from '@haiku-army/core';
import { armyDefaultRole } from '../behaviours/army-default.js';
import { createDemoResponders } from '../behaviours/demo-responders.js';
import type { Random } from '../random.js';
import { type Reply, reply } from '../replies.js';
import type { Responder, ResponderContext, ResponderRoute } from '../responder.js';
import type { MessageRequest } from '../wire-types.js';

/** Answers when no responder matches: one deterministic sentence. */
const fallbackResponder: Responder = (_request, context) =>
  reply.text(`Simulated reply from ${context.model.id}.`);

/**
 * Picks the responder for a request: `route(request)` naming one of
 * `responders`, else the responder scripted for the model (id as sent, then
 * canonical id), else `defaultResponder`, else (when no route and no named
 * responders were configured) the simulated demo behaviour for a haiku-army
 * planner, synthesizer or briefed worker request (see `armyDefaultRole`),
 * else a one-sentence text reply.
 */
export class ResponderRegistry {
  readonly #models = new Map<string, Responder>();
  readonly #named = new Map<string, Responder>();
  readonly #calls = new Map<string, number>();
  #random: Random;
  #route: ResponderRoute | undefined;
  #default: Responder | undefined;
  #armyDefaults: Record<string, Responder> | undefined;

  constructor(options: {
    random: Random;
    models?: Record<string, Responder>;
    responders?: Record<string, Responder>;
    route?: ResponderRoute;
    defaultResponder?: Responder;
  }) {
    this.#random = options.random;
    for (const [model, responder] of Object.entries(options.models ?? {}))
      this.#models.set(model, responder);
    for (const [name, responder] of Object.entries(options.responders ?? {}))
      this.#named.set(name, responder);
    this.#route = options.route;
    this.#default = options.defaultResponder;
  }

  script(model: string, responder: Responder): void {
    if (typeof responder !== 'function')
      throw invalidOption(`models.${model}`, 'a function', responder);
    this.#models.set(model, responder);
  }

  define(name: string, responder: Responder): void {
    if (typeof responder !== 'function') {
      throw invalidOption(`responders.${name}`, 'a function', responder);
    }
    this.#named.set(name, responder);
  }

  #pick(request: MessageRequest, model: ModelInfo): Responder {
    const routed = this.#route?.(request);
    if (routed !== undefined) {
      const named = this.#named.get(routed);
      if (named) return named;
    }
    return (
      this.#models.get(request.model) ??
      this.#models.get(model.id) ??
      this.#default ??
      this.#armyDefault(request) ??
      fallbackResponder
    );
  }

  /** The simulated army behaviours, only when nothing else was configured. */
  #armyDefault(request: MessageRequest): Responder | undefined {
    if (this.#route || this.#named.size > 0) return undefined;
    const role = armyDefaultRole(request);
    if (!role) return undefined;
    // In a run the planner assigns each worker its files, so a worker counts
    // only the matches in its own shard (its grep still covers the root).
    this.#armyDefaults ??= createDemoResponders({ worker: { assignedFilesOnly: true } }).responders;
    return this.#armyDefaults[role];
  }

  /** Runs the responder; a plain string becomes a text reply. */
  async respond(
    request: MessageRequest,
    context: Omit<ResponderContext, 'call' | 'random'>,
  ): Promise<Reply> {
    const call = (this.#calls.get(context.model.id) ?? 0) + 1;
    this.#calls.set(context.model.id, call);
    const random = this.#random;
    const result = await this.#pick(request, context.model)(request, {
      ...context,
      call,
      random: () => random.next(),
    });
    if (typeof result === 'string') return reply.text(result);
    if (!result || typeof result !== 'object' || !('type' in result)) {
      throw new TypeError(
        `A responder for ${context.model.id} returned ${String(result)}; return a reply built with \`reply.*\` or a string.`,
      );
    }
    return result;
  }

  /** Forgets the call counts and restarts `context.random()` from a fresh generator. */
  reset(random: Random): void {
    this.#calls.clear();
    this.#random = random;
  }
}
