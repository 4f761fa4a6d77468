import {
  createDemoResponders,
  type FakeAnthropicServer,
  lastUserText,
  type Responder,
  reply,
  type StartFakeAnthropicOptions,
  sequence,
  startFakeAnthropic,
} from '@haiku-army/testing';

export { reply, sequence };

/** A hand-written plan subtask with a full brief. */
export function subtask(id: string, objective: string, dependsOn: string[] = []) {
  return {
    id,
    title: `Subtask ${id}`,
    brief: { objective, outputFormat: '', guidance: '', boundaries: '' },
    dependsOn,
    complexity: 'simple' as const,
  };
}

/**
 * A worker that answers by its brief: the first key of `answers` found in
 * the brief's text picks the reply (a string is the plain-text summary).
 */
export function workerByBrief(answers: Record<string, Responder | string>): Responder {
  return (request, context) => {
    const brief = lastUserText(request);
    for (const [key, answer] of Object.entries(answers)) {
      if (brief.includes(key))
        return typeof answer === 'string' ? reply.text(answer) : answer(request, context);
    }
    return reply.text('No scripted answer.');
  };
}

/** The fake with the demo routing, where `planner`, `worker` and `synthesizer` may be replaced. */
export function startScripted(
  roles: { planner?: Responder; worker?: Responder; synthesizer?: Responder },
  options: StartFakeAnthropicOptions = {},
): Promise<FakeAnthropicServer> {
  const demo = createDemoResponders();
  return startFakeAnthropic({
    latency: { firstByte: 0 },
    ...options,
    route: demo.route,
    responders: { ...demo.responders, ...roles },
  });
}
