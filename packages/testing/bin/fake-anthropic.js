#!/usr/bin/env node
// Starts the fake Anthropic API over HTTP. Needs the package built (`pnpm --filter @haiku-army/testing build`).
import('../dist/cli.js')
  .then(({ runCli }) => runCli(process.argv.slice(2)))
  .catch((error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
      console.error(
        'fake-anthropic: dist/ is missing; run `pnpm --filter @haiku-army/testing build` first.',
      );
    } else {
      console.error(`fake-anthropic: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(1);
  });
