// SIMULATION, offline only: the host model's side of the conversation, as a
// responder of the fake Anthropic API. With a key the real model plays it.
// Turn 1: it delegates the user's question to the army with one
// `delegate_to_army` call. Turn 2, once the tool result is back: it answers
// the user from that result (the army's answer), quoting its first lines.
import {
  armyDefaultRole,
  createDemoResponders,
  lastUserText,
  reply,
  toolExchanges,
} from '@haiku-army/testing';

/** The name of the host's only tool. */
export const DELEGATE_TOOL = 'delegate_to_army';

/** @type {import('@haiku-army/testing').Responder} */
function hostResponder(request) {
  const [exchange] = toolExchanges(request).filter((item) => item.name === DELEGATE_TOOL);
  if (!exchange) {
    return reply.toolUse(
      DELEGATE_TOOL,
      { job: lastUserText(request).trim() },
      { text: 'This needs a search over many files; I will delegate it.' },
    );
  }
  const lines = (exchange.result ?? '').split('\n').filter((line) => line.trim() !== '');
  const shown = lines.slice(0, 4).join('\n');
  return reply.text(
    `The army searched the codebase for me. In short:\n${shown}${lines.length > 4 ? `\n(and ${lines.length - 4} more lines)` : ''}`,
  );
}

/**
 * Options for startFakeAnthropic: the host's requests (they offer the
 * delegate tool) go to the simulated host; the army's planner, workers and
 * synthesizer get the fake's simulated demo behaviours, as they would by default.
 */
export function simulatedHostOptions() {
  const demo = createDemoResponders({ worker: { assignedFilesOnly: true } });
  return {
    responders: { ...demo.responders, host: hostResponder },
    route: (request) =>
      (request.tools ?? []).some((tool) => tool.name === DELEGATE_TOOL)
        ? 'host'
        : armyDefaultRole(request),
  };
}
