// The three cost case studies of the seed research (code review, customer
// support, document processing) as army jobs: the workload of each (its
// items, their sizes in tokens and their mix) and its two set-ups, naive
// (one big model, no cache, no batch) and optimised (routed, cached,
// batched where the workload allows). The sizes and mixes are the
// research's scenario; the prices are the catalog's, applied by the ledger
// and by the fake's billing log, never here.

/** Four-letter words: each is exactly one token for the fake's counter. */
const WORDS = [
  'code',
  'diff',
  'line',
  'test',
  'file',
  'type',
  'call',
  'path',
  'node',
  'case',
  'user',
  'plan',
  'term',
  'fees',
  'date',
  'rule',
  'risk',
  'item',
  'cost',
  'form',
];

/** `tokens` words of filler text (the fake counts one token per word), varied by `seed`. */
export function filler(tokens, seed = 0) {
  const words = new Array(tokens);
  for (let index = 0; index < tokens; index++)
    words[index] = WORDS[(index * 7 + seed * 13 + (index >> 5)) % WORDS.length];
  return words.join(' ');
}

const ANSWER = /Answer in about (\d+) tokens\./;

/** The output size a brief asks for (the fake's responder reads it). */
export function wantedOutputTokens(text) {
  return Number(ANSWER.exec(text)?.[1] ?? 50);
}

const LABEL = /\[(\w+)\]/;

/**
 * A router for the optimised set-ups: the model of the label the workload
 * already carries (`[lint]`, `[faq]`, ...: the kind of change, the triage
 * of a ticket, the kind of document), as a pipeline that knows its items does.
 */
export function labelRouter(models) {
  return {
    name: 'case-label',
    async pick(subtask) {
      const label = LABEL.exec(subtask.brief)?.[1];
      const model = models[label];
      if (!model) throw new Error(`case-label router: no model for label ${label} (${subtask.id})`);
      return { model, reason: `label ${label} -> ${model}` };
    },
  };
}

const HAIKU = 'claude-haiku-5-5';
const SONNET = 'claude-sonnet-5-5';
const OPUS = 'claude-opus-5-5';

function codeReview(count) {
  const instructions = `Review instructions: check style, naming, error handling, tests and the design of the change. ${filler(2_000, 1)}`;
  const prs = Array.from({ length: count }, (_, index) => ({
    id: `pr-${index + 1}`,
    // 80% lint-level changes (Haiku), 20% logic changes (Sonnet).
    label: index % 5 === 4 ? 'logic' : 'lint',
    diff: filler(5_000, index + 100),
  }));
  const output = 'Answer in about 800 tokens.';
  return {
    name: 'code-review',
    unit: 'pull request',
    perMonth: 200,
    naive: {
      workers: OPUS,
      items: prs.map((pr, index) => ({
        id: pr.id,
        brief: `Review pull request ${pr.id}.\n\n${instructions}\n\nThe whole codebase:\n${filler(95_000, index)}\n\nThe diff:\n${pr.diff}\n\n${output}`,
      })),
    },
    optimised: {
      workers: labelRouter({ lint: HAIKU, logic: SONNET }),
      sharedPrefix: instructions,
      items: prs.map((pr) => ({
        id: pr.id,
        brief: `[${pr.label}] Review pull request ${pr.id}.\n\nThe diff:\n${pr.diff}\n\n${output}`,
      })),
    },
  };
}

function customerSupport(count) {
  const guidelines = `Brand guidelines: be warm, exact and brief; never promise refunds. ${filler(1_500, 2)}`;
  // Half of all conversations repeat a question asked before (the research's
  // "semantic cache: 50% fewer API calls"): the FAQ ones draw from a pool.
  const pool = Math.max(1, Math.round(count * 0.2));
  const conversations = Array.from({ length: count }, (_, index) => {
    const slot = index % 20;
    // 70% FAQ (Haiku), 25% complex (Sonnet), 5% escalations (Opus).
    const label = slot < 14 ? 'faq' : slot < 19 ? 'complex' : 'escalation';
    const question =
      label === 'faq'
        ? `Common question ${index % pool}: ${filler(500, index % pool)}`
        : `Conversation ${index}: ${filler(500, 10_000 + index)}`;
    return { id: `conversation-${index + 1}`, label, question };
  });
  const output = 'Answer in about 2000 tokens.';
  const distinct = new Map();
  for (const conversation of conversations)
    if (!distinct.has(conversation.question)) distinct.set(conversation.question, conversation);
  return {
    name: 'customer-support',
    unit: 'conversation',
    perMonth: 10_000,
    naive: {
      workers: SONNET,
      items: conversations.map((conversation) => ({
        id: conversation.id,
        brief: `Answer the support conversation.\n\n${guidelines}\n\n${conversation.question}\n\n${output}`,
      })),
    },
    optimised: {
      workers: labelRouter({ faq: HAIKU, complex: SONNET, escalation: OPUS }),
      sharedPrefix: guidelines,
      // The answer cache: one subtask per distinct question, its answer served to every repeat.
      served: count,
      items: [...distinct.values()].map((conversation) => ({
        id: conversation.id,
        brief: `[${conversation.label}] Answer the support conversation.\n\n${conversation.question}\n\n${output}`,
      })),
    },
  };
}

function documentProcessing(count) {
  const output = 'Answer in about 1000 tokens.';
  const documents = Array.from({ length: count }, (_, index) => ({
    id: `document-${index + 1}`,
    // 20% have complex clauses (Opus on those clauses only), 80% need extraction only (Sonnet).
    label: index % 5 === 4 ? 'clauses' : 'extract',
    index,
  }));
  return {
    name: 'document-processing',
    unit: 'document',
    perMonth: 1_000,
    naive: {
      workers: OPUS,
      items: documents.map((document) => ({
        id: document.id,
        brief: `Extract the parties, terms, dates and risks of legal document ${document.id}.\n\n${filler(50_000, document.index)}\n\n${output}`,
      })),
    },
    optimised: {
      workers: labelRouter({ extract: SONNET, clauses: OPUS }),
      mode: 'batch',
      items: documents.map((document) =>
        document.label === 'extract'
          ? {
              id: document.id,
              brief: `[extract] Extract the parties, terms, dates and risks of legal document ${document.id}.\n\n${filler(50_000, document.index)}\n\n${output}`,
            }
          : {
              // Incremental context: only the clause sections (20K tokens) are loaded.
              id: document.id,
              brief: `[clauses] Analyse the complex clauses of legal document ${document.id}.\n\n${filler(20_000, document.index)}\n\n${output}`,
            },
      ),
    },
  };
}

/** The case studies by name, each built for `count` items. */
export const CASES = {
  'code-review': { build: codeReview, count: 50 },
  'customer-support': { build: customerSupport, count: 1_000 },
  'document-processing': { build: documentProcessing, count: 100 },
};
