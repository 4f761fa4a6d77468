#!/usr/bin/env node
// The `army-worker` command. Needs the package built (`npx -y pnpm@10 --filter @haiku-army/redis... build`).
import('../dist/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    console.error(
      'army-worker: dist/ is missing; build it first: npx -y pnpm@10 turbo run build --filter=@haiku-army/redis...',
    );
  } else {
    console.error(`army-worker: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
