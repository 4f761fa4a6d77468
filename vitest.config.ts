import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// One vitest project per workspace package (plus the cross-package test/),
// so `vitest run --project core` runs one package and `pnpm test` runs all.
const packages = readdirSync('packages').filter((name) =>
  existsSync(`packages/${name}/package.json`),
);

export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-results.json' },
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: `packages/${name}`,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      })),
      ...(existsSync('test/package.json')
        ? [
            {
              extends: true as const,
              test: { name: 'integration', root: 'test', include: ['**/*.test.ts'] },
            },
          ]
        : []),
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
