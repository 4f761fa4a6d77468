import { CATALOG_AS_OF, listModels } from '@haiku-army/core';
import { describe, expect, it } from 'vitest';
import { perMillion } from '../src/commands/models.js';
import { army } from './support/harness.js';

describe('army models', () => {
  it('lists every model of the catalog with its prices per million tokens and the as-of date', async () => {
    const { code, stdout } = await army(['models']);
    expect(code).toBe(0);
    for (const model of listModels()) {
      const row = stdout.split('\n').find((line) => line.startsWith(`│ ${model.id} `));
      expect(row, model.id).toBeDefined();
      expect(row).toContain(` ${perMillion(model.prices.input)} `);
      expect(row).toContain(` ${perMillion(model.prices.output)} `);
      expect(row).toContain(` ${perMillion(model.prices.cacheRead)} `);
    }
    expect(stdout).toContain(`as of ${CATALOG_AS_OF}`);
  });

  it('formats nano-USD per token as dollars per million tokens', () => {
    expect(perMillion(100)).toBe('$0.10');
    expect(perMillion(125)).toBe('$0.125');
    expect(perMillion(10)).toBe('$0.01');
    expect(perMillion(20_000)).toBe('$20.00');
  });

  it('--json prints the catalog as one object', async () => {
    const { stdout } = await army(['models', '--json']);
    const parsed = JSON.parse(stdout);
    expect(parsed.asOf).toBe(CATALOG_AS_OF);
    expect(parsed.models.map((model: { id: string }) => model.id)).toEqual(
      listModels().map((model) => model.id),
    );
  });

  it('--help and --version exit 0', async () => {
    const help = await army(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /Commands:[\s\S]*run \[options\] <job>[\s\S]*estimate[\s\S]*models/,
    );
    const version = await army(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
