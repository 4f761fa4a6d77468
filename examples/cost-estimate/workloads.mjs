/**
 * The cost case studies: each workload has a naive plan (one expensive model,
 * no caching, no batching) and an optimized one (tiered, cached, batched).
 * A plan is a list of request kinds, each with a model, a count and the
 * usage of ONE request as the API would report it. Assumptions are stated
 * beside each figure so the table can be argued with.
 */

const month = 'per month';

/** Code review: 50 PRs a week (about 217 a month). */
const reviewsPerMonth = Math.round((50 * 52) / 12);
const reviewHours = 22 * 8; // reviews arrive during working hours

/**
 * Requests that find the cache cold: with arrivals spread at random (Poisson)
 * at `count / hours` per hour and a 1h TTL refreshed on every hit, a request
 * misses when no other came in the hour before it, with probability e^-rate.
 */
function cacheWrites(count, hours) {
  return Math.min(count, Math.round(count * Math.exp(-count / hours)) || (count > 0 ? 1 : 0));
}

/**
 * One model's share of a cached workload: the requests that find the cache
 * cold write the `cached` prefix (1h TTL), the rest read it.
 */
function cachedMix(model, count, hours, { input, output, cached }) {
  const writes = cacheWrites(count, hours);
  return [
    {
      label: `${model} (writes cache)`,
      model,
      count: writes,
      usage: {
        input_tokens: input,
        output_tokens: output,
        cache_creation: { ephemeral_1h_input_tokens: cached },
        cache_creation_input_tokens: cached,
      },
    },
    {
      label: `${model} (reads cache)`,
      model,
      count: count - writes,
      usage: { input_tokens: input, output_tokens: output, cache_read_input_tokens: cached },
    },
  ];
}

/** A review: a 5K diff, 3K of output, the 4K review instructions cached. */
const reviewMix = (model, share) =>
  cachedMix(model, Math.round(reviewsPerMonth * share), reviewHours, {
    input: 5_000,
    output: 3_000,
    cached: 4_000,
  });

/** Customer support: 10,000 conversations a month, 2K in / 2K out, plus a 3K brand guide. */
const conversations = 10_000;
const supportHours = 30 * 24; // conversations arrive around the clock

/** A conversation: 2K in, 2K out, the 3K brand guide cached. */
const supportMix = (model, share) =>
  cachedMix(model, Math.round(conversations * share), supportHours, {
    input: 2_000,
    output: 2_000,
    cached: 3_000,
  });

/** Document processing: 1,000 documents a month, 50K in, 2K out. */
const documents = 1_000;

export const WORKLOADS = [
  {
    name: 'Code review',
    period: month,
    assumptions: `${reviewsPerMonth} reviews; naive sends the whole 100K-token repo to Opus; optimized sends a 5K diff, caches the 4K instructions (1h TTL; a review finds it cold when none came in the hour before)`,
    naive: [
      {
        label: 'whole repo to Opus',
        model: 'claude-opus-5-5',
        count: reviewsPerMonth,
        usage: { input_tokens: 100_000, output_tokens: 3_000 },
      },
    ],
    optimized: [...reviewMix('claude-haiku-5-5', 0.8), ...reviewMix('claude-sonnet-5-5', 0.2)],
  },
  {
    name: 'Customer support',
    period: month,
    assumptions:
      '10,000 conversations; naive sends the 3K brand guide uncached to Sonnet; optimized routes 70/25/5 Haiku/Sonnet/Opus and caches the guide (1h TTL; cold when no conversation on that model in the hour before)',
    naive: [
      {
        label: 'all Sonnet',
        model: 'claude-sonnet-5-5',
        count: conversations,
        usage: { input_tokens: 5_000, output_tokens: 2_000 },
      },
    ],
    optimized: [
      ...supportMix('claude-haiku-5-5', 0.7),
      ...supportMix('claude-sonnet-5-5', 0.25),
      ...supportMix('claude-opus-5-5', 0.05),
    ],
  },
  {
    name: 'Document processing',
    period: month,
    assumptions:
      '1,000 documents of 50K tokens; naive runs all on Opus interactively; optimized uses the Batch API (50%) with 80% Sonnet, 20% Opus',
    naive: [
      {
        label: 'all Opus',
        model: 'claude-opus-5-5',
        count: documents,
        usage: { input_tokens: 50_000, output_tokens: 2_000 },
      },
    ],
    optimized: [
      {
        label: 'Sonnet, batch',
        model: 'claude-sonnet-5-5',
        count: documents * 0.8,
        usage: { input_tokens: 50_000, output_tokens: 2_000, service_tier: 'batch' },
      },
      {
        label: 'Opus, batch',
        model: 'claude-opus-5-5',
        count: documents * 0.2,
        usage: { input_tokens: 50_000, output_tokens: 2_000, service_tier: 'batch' },
      },
    ],
  },
];
