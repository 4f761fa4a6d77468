/**
 * Turns a prompt into sparse features for the learned router: hashed word
 * unigrams (also crossed with the prompt's form) and bigrams (numbers
 * folded to their digit count, so "17" and "42" look alike), and hand-made
 * text features in coarse bins (length, how many numbers, math, money and
 * code markers, answer options). Binned
 * flags instead of raw magnitudes keep one weight per bin, so the model
 * needs no feature scaling and transfers to prompts of other lengths.
 */

/** A sparse feature vector: bucket indices and their values, same length. */
export interface SparseFeatures {
  indices: Uint32Array;
  values: Float64Array;
}

/** Options for {@link extractFeatures}. */
export interface FeatureOptions {
  /** log2 of the number of hash buckets. @default 14 */
  hashBits?: number;
  /** Include word bigrams. @default true */
  bigrams?: boolean;
  /** Include character trigrams of each word. @default false */
  charGrams?: boolean;
  /**
   * Also count each word once more crossed with the prompt's form (multiple
   * choice or open question), so a word can weigh differently in each.
   * @default true
   */
  crossForm?: boolean;
}

/** The defaults {@link extractFeatures} uses, in one place. */
export const DEFAULT_FEATURE_OPTIONS: Required<FeatureOptions> = {
  hashBits: 14,
  bigrams: true,
  charGrams: false,
  crossForm: true,
};

/** FNV-1a, 32 bit: stable across runs and platforms. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function bin(value: number, edges: readonly number[]): number {
  let index = 0;
  while (index < edges.length && value >= edges[index]!) index += 1;
  return index;
}

const LENGTH_EDGES = [60, 120, 200, 300, 450, 700, 1000, 1500, 2500];
const COUNT_EDGES = [1, 2, 3, 4, 5, 6, 8, 10, 14, 20];

/** The hand-made features of a prompt, as named flags. */
export function textFlags(prompt: string): string[] {
  const flags: string[] = [];
  const numbers = prompt.match(/\d+(?:[.,]\d+)*/g) ?? [];
  const words = prompt.match(/[A-Za-z]+/g) ?? [];
  const sentences = prompt.split(/[.?!](?:\s|$)/).filter((part) => part.trim().length > 0);
  flags.push(`len:${bin(prompt.length, LENGTH_EDGES)}`);
  flags.push(`numbers:${bin(numbers.length, COUNT_EDGES)}`);
  flags.push(`sentences:${bin(sentences.length, COUNT_EDGES)}`);
  flags.push(`words:${bin(words.length, [10, 20, 35, 50, 75, 110, 160, 250, 400])}`);
  const longest = numbers.reduce((most, number) => Math.max(most, number.length), 0);
  flags.push(`longestNumber:${bin(longest, [1, 2, 3, 4, 5, 7])}`);
  if (/\d\.\d/.test(prompt)) flags.push('decimal');
  if (/\d\s*\/\s*\d/.test(prompt) || /\bhalf\b|\bthird\b|\bquarter\b/i.test(prompt))
    flags.push('fraction');
  if (/%|\bpercent/i.test(prompt)) flags.push('percent');
  if (/\$/.test(prompt)) flags.push('money');
  if (/[=^√∑∫]|\\frac|\\sqrt|sqrt\(|\bx\^/.test(prompt)) flags.push('math');
  if (/```|\bdef |\bfunction\b|\breturn\b|[{};]\s*$|=>|\bint\b.*\(/m.test(prompt))
    flags.push('code');
  if (/\n[A-D]\. /.test(prompt)) flags.push('options');
  if (/Statement 1 \|/.test(prompt)) flags.push('statements');
  if (/\b(not|except|false|incorrect|least)\b/i.test(prompt)) flags.push('negation');
  if (/\b(each|every|per)\b/i.test(prompt)) flags.push('rate');
  if (/\b(times|twice|double|triple)\b/i.test(prompt)) flags.push('multiply');
  if (/\b(hours?|minutes?|days?|weeks?|months?|years?)\b/i.test(prompt)) flags.push('time');
  const questions = (prompt.match(/\?/g) ?? []).length;
  flags.push(`questions:${bin(questions, [1, 2, 3])}`);
  return flags;
}

function wordTokens(prompt: string): string[] {
  const tokens = prompt.toLowerCase().match(/[a-z]+|\d+(?:[.,]\d+)*/g) ?? [];
  return tokens.map((token) => (/^\d/.test(token) ? `<num${Math.min(token.length, 6)}>` : token));
}

/**
 * Extracts the sparse features of a prompt. The n-gram part is scaled to
 * unit length, so a long prompt does not outvote a short one; each
 * hand-made flag and the bias are 1.
 */
export function extractFeatures(prompt: string, options: FeatureOptions = {}): SparseFeatures {
  const settings = { ...DEFAULT_FEATURE_OPTIONS, ...options };
  const size = 2 ** settings.hashBits;
  const grams = new Map<number, number>();
  const add = (key: string) => {
    const index = fnv1a(key) % size;
    grams.set(index, (grams.get(index) ?? 0) + 1);
  };
  const tokens = wordTokens(prompt);
  const form = /\n[A-D]\. /.test(prompt) ? 'choice' : 'open';
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index]!;
    add(`w:${token}`);
    if (settings.crossForm) add(`w:${form}:${token}`);
    if (settings.bigrams && index > 0) add(`b:${tokens[index - 1]}_${token}`);
    if (settings.charGrams && token.length > 3) {
      const padded = `^${token}$`;
      for (let start = 0; start + 3 <= padded.length; start += 1)
        add(`c:${padded.slice(start, start + 3)}`);
    }
  }
  let norm = 0;
  for (const count of grams.values()) norm += count * count;
  norm = Math.sqrt(norm) || 1;
  const features = new Map<number, number>();
  for (const [index, count] of grams) features.set(index, count / norm);
  // Each flag once plain and once crossed with the prompt's form (multiple
  // choice or open), so length and number counts can weigh differently in each.
  for (const flag of ['bias', ...textFlags(prompt)]) {
    for (const key of [`f:${flag}`, `f:${form}:${flag}`]) {
      const index = fnv1a(key) % size;
      features.set(index, (features.get(index) ?? 0) + 1);
    }
  }
  const sorted = [...features.keys()].sort((a, b) => a - b);
  return {
    indices: Uint32Array.from(sorted),
    values: Float64Array.from(sorted, (index) => features.get(index)!),
  };
}
