import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import * as testing from '../src/index.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The first ```ts block after a heading. */
function codeAfter(heading: string): string {
  const section = README.slice(README.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`No ts block after ${heading}`);
  return match[1]!;
}

describe('README', () => {
  it('runs the quick start as written', async () => {
    const code = codeAfter('## Quick start');
    const imports = [...code.matchAll(/^import (.*) from '([^']+)';$/gm)];
    expect(imports.map((match) => [match[1], match[2]])).toEqual([
      ['Anthropic', '@anthropic-ai/sdk'],
      ['{ reply, startFakeAnthropic }', '@haiku-army/testing'],
    ]);
    // Run the body with the imported names bound to the real modules.
    const body = code.replace(/^import .*$/gm, '');
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...parameters: string[]
    ) => (...values: unknown[]) => Promise<void>;
    const run = new AsyncFunction('Anthropic', 'reply', 'startFakeAnthropic', 'expect', body);
    let assertions = 0;
    const counted = ((value: unknown) => {
      assertions += 1;
      return expect(value);
    }) as typeof expect;
    await run(Anthropic, testing.reply, testing.startFakeAnthropic, counted);
    expect(assertions).toBe(1);
  });
});
