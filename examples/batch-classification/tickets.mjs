// 1,000 support tickets, made deterministically from templates so the
// example needs no data download. Each template belongs to one label; the
// label travels with the ticket as `expected`, so a run can be scored.

export const LABELS = ['billing', 'bug', 'feature_request', 'account', 'shipping'];

const TEMPLATES = {
  billing: [
    'I was charged twice for my {product} subscription this month.',
    'The invoice for order {order} shows the wrong amount.',
    'Please refund the {product} plan, I cancelled before renewal.',
  ],
  bug: [
    'The {product} app crashes when I open the settings page.',
    'Exporting a report in {product} gives an error 500.',
    'Since the last update {product} freezes on startup.',
  ],
  feature_request: [
    'Could {product} support dark mode? It would help a lot.',
    'It would be great if {product} could export to CSV.',
    'Please add a keyboard shortcut to {product} for search.',
  ],
  account: [
    'I cannot log in to {product}; the password reset email never arrives.',
    'How do I change the email address on my {product} account?',
    'Please delete my {product} account and all my data.',
  ],
  shipping: [
    'My order {order} has not arrived after two weeks.',
    'The tracking number for order {order} does not work.',
    'The {product} box arrived damaged; can you send a replacement?',
  ],
};
const PRODUCTS = ['Notely', 'PixelPad', 'Ledgerly', 'TaskRiver', 'Soundbox', 'Mapwise', 'Inkwell'];

/** The tickets: `{ id, text, expected }`, the same on every run. */
export function makeTickets(count = 1000) {
  const tickets = [];
  for (let index = 0; index < count; index++) {
    const label = LABELS[(index * 7 + Math.floor(index / 5)) % LABELS.length];
    const templates = TEMPLATES[label];
    const text = templates[(index * 3) % templates.length]
      .replace('{product}', PRODUCTS[(index * 5) % PRODUCTS.length])
      .replace('{order}', `#${100_000 + index * 37}`);
    tickets.push({ id: `ticket-${String(index + 1).padStart(4, '0')}`, text, expected: label });
  }
  return tickets;
}
