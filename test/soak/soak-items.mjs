// What every phase of the soak asks of a subtask, shared by the soak and
// its child processes, and how a billed request is traced back to its item.

/** The brief of ticket `item` (`T-<n>`). */
export function soakBrief(item) {
  return `Classify ticket ${item} as bug, question or request.`;
}

const TICKET = /Classify ticket T-(\d+) /;

/** The subtask id (`item-<n>`) a request body was sent for, or undefined. */
export function subtaskOfRequest(body) {
  const text = JSON.stringify(body?.messages ?? '');
  const match = TICKET.exec(text);
  return match ? `item-${match[1]}` : undefined;
}
