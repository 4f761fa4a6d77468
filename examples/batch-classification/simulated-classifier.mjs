// SIMULATION, offline only: the worker model's side, as the default
// responder of the fake Anthropic API. With a key the real model classifies.
// It submits the label whose keywords the ticket mentions most (ties: the
// first label listed), the way a cheap keyword baseline would, through the
// worker's `submit_result` tool with `data: { label }`.
import { reply } from '@haiku-army/testing';

const KEYWORDS = {
  billing: ['charged', 'invoice', 'refund', 'amount', 'renewal', 'plan'],
  bug: ['crash', 'error', 'freezes', 'broken', 'update'],
  feature_request: ['could', 'would be great', 'please add', 'support', 'export to'],
  account: ['log in', 'password', 'email address', 'account'],
  shipping: ['arrived', 'tracking', 'order', 'replacement', 'delivery'],
};

/** The ticket text in the worker's brief (the `ticket:` line). */
function ticketOf(request) {
  const first = request.messages[0];
  const text =
    typeof first?.content === 'string'
      ? first.content
      : (first?.content ?? []).map((block) => block.text ?? '').join('\n');
  return (/^ticket: (.*)$/m.exec(text)?.[1] ?? '').toLowerCase();
}

/** @type {import('@haiku-army/testing').Responder} */
export function simulatedClassifier(request) {
  const ticket = ticketOf(request);
  let best = 'bug';
  let bestScore = 0;
  for (const [label, words] of Object.entries(KEYWORDS)) {
    const score = words.filter((word) => ticket.includes(word)).length;
    if (score > bestScore) [best, bestScore] = [label, score];
  }
  return reply.toolUse('submit_result', {
    status: 'done',
    summary: `Labelled ${best}.`,
    data: { label: best },
  });
}
