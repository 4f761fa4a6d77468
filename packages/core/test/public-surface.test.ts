import { describe, expect, it } from 'vitest';

describe('the public surface of @haiku-army/core', () => {
  it('is the named list chosen on purpose (update this list when the surface changes)', async () => {
    const core = await import('@haiku-army/core');
    expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
      [
        "AbortError",
        "ApiCallError",
        "ArmyError",
        "ArmyEvents",
        "BATCH_MAX_BYTES",
        "BATCH_MAX_REQUESTS",
        "BUILT_IN_MODELS",
        "BatchBudgetExceededError",
        "Budget",
        "BudgetExceededError",
        "CATALOG_AS_OF",
        "CUSTOM_ID_PATTERN",
        "CostLedger",
        "ERROR_CODES",
        "ERROR_KINDS",
        "Gateway",
        "JsonlLedgerStore",
        "LedgerStoreError",
        "MemoryLedgerStore",
        "MissingApiKeyError",
        "ModelCatalog",
        "NANO_PER_USD",
        "RateLimiter",
        "addCost",
        "addTokens",
        "batchCustomId",
        "costOf",
        "createEvents",
        "createGateway",
        "defaultCatalog",
        "entriesToCsv",
        "errorKind",
        "estimateRequestTokens",
        "estimateTextTokens",
        "formatUsd",
        "getModel",
        "invalidOption",
        "listModels",
        "normalizeUsage",
        "perMillionToNanoPerToken",
        "pricesFor",
        "promptTokens",
        "registerModel",
        "usd",
        "zeroCost",
        "zeroTokens",
      ]
    `);
  });

  it('keeps retry classification, worst-case helpers and mutable constants out of it', async () => {
    const core: Record<string, unknown> = await import('@haiku-army/core');
    for (const name of [
      'classifyFailure',
      'retryAfterMs',
      'worstCaseCost',
      'inputTokensUpperBound',
      'RETRYABLE_STATUSES',
      'DEFAULT_MAX_ATTEMPTS',
    ])
      expect(core[name], name).toBeUndefined();
    const internal: Record<string, unknown> = await import('../src/internal/index.js');
    expect(typeof internal.classifyFailure).toBe('function');
    expect(typeof internal.worstCaseCost).toBe('function');
  });
});
