import { describe, expect, it } from 'vitest';
import { escapeHtml, formatNanoUsd, scriptJson } from '../src/html.js';

describe('formatNanoUsd', () => {
  it('shows every nano-USD, so the amount shown is the amount', () => {
    expect(formatNanoUsd(0)).toBe('$0.000000000');
    expect(formatNanoUsd(1)).toBe('$0.000000001');
    expect(formatNanoUsd(1_234_500_000)).toBe('$1.234500000');
    expect(formatNanoUsd(-2_000_000_001)).toBe('-$2.000000001');
    expect(formatNanoUsd(1_234_567_000_000_001)).toBe('$1,234,567.000000001');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(escapeHtml(42)).toBe('42');
  });
});

describe('scriptJson', () => {
  it('cannot close its script element or open a comment, and is still the same JSON', () => {
    const value = { text: '</script><!-- & \u2028\u2029 >', list: ['</SCRIPT>'] };
    const json = scriptJson(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
