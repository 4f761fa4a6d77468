import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('built packages', () => {
  it('@haiku-army/core resolves to dist and exports the public API', () => {
    const script = `
      const resolved = import.meta.resolve('@haiku-army/core');
      const core = await import('@haiku-army/core');
      const names = ['getModel','registerModel','costOf','formatUsd','CostLedger','Budget','createGateway','ArmyError','BudgetExceededError'];
      let errorName;
      try { core.getModel('claude-nope'); } catch (error) { errorName = error.name; }
      console.log(JSON.stringify({ resolved, errorName, missing: names.filter((name) => typeof core[name] !== 'function') }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    const { resolved, missing, errorName } = JSON.parse(output) as {
      resolved: string;
      missing: string[];
      errorName: string;
    };
    // The bundler must keep class names: errors report new.target.name.
    expect(errorName).toBe('ArmyError');
    expect(resolved).toMatch(/packages\/core\/dist\/index\.js$/);
    expect(missing).toEqual([]);
  });
});
