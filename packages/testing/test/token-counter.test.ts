import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countRequestTokens,
  countTextTokens,
  splitByTokens,
  truncateToTokens,
} from '../src/index.js';

describe('token counter', () => {
  it('follows the documented character-class rule', () => {
    expect(countTextTokens('')).toBe(0);
    expect(countTextTokens('word')).toBe(1);
    expect(countTextTokens('tokens')).toBe(2); // 6 letters -> ceil(6/4)
    expect(countTextTokens('12345')).toBe(2); // 5 digits -> ceil(5/3)
    expect(countTextTokens('a.b')).toBe(3);
    expect(countTextTokens('   \n\t ')).toBe(0);
    expect(countTextTokens('héllo')).toBe(3); // h, é, llo
    expect(countTextTokens('日本')).toBe(2);
    expect(countTextTokens('😀')).toBe(1);
    expect(countTextTokens('word '.repeat(2000))).toBe(2000);
  });

  it('counts a request: tools, system, and 3 tokens per message', () => {
    expect(
      countRequestTokens({
        system: 'be brief',
        tools: [{ name: 'grep', description: 'find text', input_schema: {} }],
        messages: [
          { role: 'user', content: 'hello there' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't1', name: 'grep', input: { q: 'x' } }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't1', content: 'found it' }],
          },
        ],
      }),
    ).toBe(
      // system: be(1) brief(2); tool: grep(1) + find text(2) + {}(2);
      // messages: (3 + hello(2) there(2)) + (3 + grep(1) + {"q":"x"}(9)) + (3 + found(2) it(1))
      3 + 5 + 7 + 13 + 6,
    );
  });

  it('truncates and splits on token boundaries (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 0, max: 80 }), (text, limit) => {
        const total = countTextTokens(text);
        const cut = truncateToTokens(text, limit);
        expect(cut.tokens).toBe(Math.min(limit, total));
        expect(countTextTokens(cut.text)).toBe(cut.tokens);
        expect(text.startsWith(cut.text)).toBe(true);
        const pieces = splitByTokens(text, 3);
        expect(pieces.join('')).toBe(text);
        expect(pieces.reduce((sum, piece) => sum + countTextTokens(piece), 0)).toBe(total);
      }),
    );
  });
});
