import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One vitest project per workspace package (plus the cross-package test/),
// so `vitest run --project core` runs one package and `pnpm test` runs all.
const packages = readdirSync('packages').filter((name) =>
  existsSync(`packages/${name}/package.json`),
);

const packagesDir = fileURLToPath(new URL('./packages', import.meta.url));

export default defineConfig({
  // Tests import the workspace packages from source, so a test of one package
  // never runs against another's stale build. (test/built-packages.test.ts
  // and the examples, run as child processes, check the built dist.)
  resolve: {
    alias: packages.flatMap((name) => [
      {
        find: new RegExp(`^@haiku-army/${name}$`),
        replacement: `${packagesDir}/${name}/src/index.ts`,
      },
      // A package's deliberate `./internal` subpath, when it has one.
      ...(existsSync(`packages/${name}/src/internal/index.ts`)
        ? [
            {
              find: new RegExp(`^@haiku-army/${name}/internal$`),
              replacement: `${packagesDir}/${name}/src/internal/index.ts`,
            },
          ]
        : []),
    ]),
  },
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
    // Runs journal into a temporary HAIKU_ARMY_JOURNAL, never into the repository.
    globalSetup: [fileURLToPath(new URL('./vitest.global-setup.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
