// The README demo (`npx -y pnpm@10 demo`): builds the `army` command and the
// packages it needs, code only (no type declarations, so a fresh machine is
// quick about it), then runs it offline over this repository's packages.
// Extra arguments go to `army run` (e.g. `npx -y pnpm@10 demo --json`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const windows = process.platform === 'win32';

// turbo's own lines go to stderr, so stdout carries only the answer and the bill.
const build = spawnSync(
  'turbo',
  ['run', 'build', '--filter=@haiku-army/cli...', '--output-logs=errors-only'],
  {
    cwd: repository,
    env: { ...process.env, HAIKU_ARMY_SKIP_DTS: '1' },
    stdio: ['ignore', process.stderr, process.stderr],
    shell: windows,
  },
);
if (build.status !== 0) {
  console.error(`demo: the build failed (${build.error?.message ?? `exit ${build.status}`}).`);
  process.exit(build.status ?? 1);
}

const run = spawnSync(
  process.execPath,
  [
    'packages/cli/bin/army.js',
    'run',
    'find every place that retries an API call',
    '--root',
    'packages',
    ...process.argv.slice(2),
  ],
  { cwd: repository, stdio: 'inherit' },
);
process.exit(run.status ?? 1);
