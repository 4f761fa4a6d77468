// The army and items the batch-map benches run: a batch-mode army against
// the fake over HTTP (polling its batches every 20 ms, answers capped at 64
// tokens), over N tickets from a generator, each labelled by one worker call.

/** The bench's army, journaling to `journal`. */
export async function batchMapArmy(url, journal) {
  const { createArmy } = await import('@haiku-army/orchestrator');
  return createArmy({
    baseURL: url,
    apiKey: 'bench',
    journal,
    mode: 'batch',
    batchPollIntervalMs: 20,
    limits: { maxOutputTokens: 64 },
  });
}

/** `count` tickets, made as they are read. */
export function* tickets(count) {
  for (let index = 0; index < count; index++) yield `T${index}`;
}

/** One ticket's brief. */
export const ticketBrief = (ticket) => `Label the ticket ${ticket}.`;
