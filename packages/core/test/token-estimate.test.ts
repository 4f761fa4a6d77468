import { describe, expect, it } from 'vitest';
import { estimateRequestTokens, estimateTextTokens, getModel } from '../src/index.js';
import { inputTokensUpperBound, worstCaseCost } from '../src/internal/index.js';

describe('token estimates', () => {
  it('estimates text by character class, never zero for non-empty text', () => {
    expect(estimateTextTokens('')).toBe(0);
    expect(estimateTextTokens('a')).toBe(1);
    expect(estimateTextTokens('hello world, this is a sentence.')).toBe(10);
    // Digits and punctuation cost more than letters; wide scripts about a token per character.
    expect(estimateTextTokens('1234567890')).toBeGreaterThan(estimateTextTokens('abcdefghij'));
    expect(estimateTextTokens('漢字漢字漢字')).toBe(6);
  });

  it('estimates a whole request: system, tools and messages', () => {
    const bare = estimateRequestTokens({ messages: [{ role: 'user', content: 'Find the TODOs' }] });
    const withSystem = estimateRequestTokens({
      system: 'You are a worker.',
      messages: [{ role: 'user', content: 'Find the TODOs' }],
    });
    const withTools = estimateRequestTokens({
      system: 'You are a worker.',
      tools: [{ name: 'grep', description: 'Search files', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Find the TODOs' }] }],
    });
    expect(bare).toBeGreaterThan(0);
    expect(withSystem).toBeGreaterThan(bare);
    expect(withTools).toBeGreaterThan(withSystem);
  });
});

describe('worst-case reservation', () => {
  const request = {
    model: 'claude-haiku-5-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'héllo' }],
  };

  it('bounds input by UTF-8 bytes and adds an allowance for tools', () => {
    const bytes = Buffer.byteLength(JSON.stringify({ messages: request.messages }), 'utf8');
    expect(inputTokensUpperBound(request)).toBe(bytes);
    expect(inputTokensUpperBound({ ...request, tools: [{ name: 'x' }] })).toBeGreaterThan(
      bytes + 1000,
    );
  });

  it('prices input at the dearest rate the request can be billed at', () => {
    const haiku = getModel('claude-haiku-5-5');
    expect(worstCaseCost(haiku, request, 1_000)).toBe(1_000 * 100 + 100 * 500);
    const cached = {
      ...request,
      system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }],
    };
    expect(worstCaseCost(haiku, cached, 1_000)).toBe(1_000 * 125 + 100 * 500);
    const hour = {
      ...request,
      system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } }],
    };
    expect(worstCaseCost(haiku, hour, 1_000)).toBe(1_000 * 200 + 100 * 500);
    // Past Haiku 5.5's 100K threshold the long-context prices apply.
    expect(worstCaseCost(haiku, request, 100_001)).toBe(100_001 * 500 + 100 * 2500);
  });
});
