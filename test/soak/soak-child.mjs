// A child process of the soak's kill/resume phase (kill-resume.mjs): starts
// the soak's fan-out through the built @haiku-army/orchestrator, journaling
// to the given directory, or resumes it, against the fake API the parent
// serves (so the fake's billing log outlives every child). Prints
// `run <runId>` once the run has started and `end <status>` when it ends;
// the parent SIGKILLs it somewhere between.
//
//   node soak-child.mjs <baseURL> <journal> <start|resume> <runId|-> <settings JSON>
import { createGateway } from '@haiku-army/core';
import { createArmy, resumeRun } from '@haiku-army/orchestrator';
import { soakBrief } from './soak-items.mjs';

const [baseURL, journal, mode, runIdArgument, settingsText] = process.argv.slice(2);
const settings = JSON.parse(settingsText ?? '{}');
if (!baseURL || !journal || (mode !== 'start' && mode !== 'resume')) {
  console.error('usage: soak-child.mjs <baseURL> <journal> <start|resume> <runId|-> <settings>');
  process.exit(2);
}

// The same gateway settings as the soak's other phases.
const gateway = createGateway({ baseURL, apiKey: 'soak-key', retryBaseDelayMs: 20 });
const options = {
  gateway,
  journal,
  concurrency: settings.concurrency,
  limits: { maxOutputTokens: settings.maxOutputTokens },
};

const handle =
  mode === 'start'
    ? createArmy(options).map(
        Array.from({ length: settings.n }, (_, index) => `T-${index + 1}`),
        soakBrief,
        { job: 'soak: classify every ticket' },
      )
    : resumeRun({ ...options, runId: runIdArgument });
process.stdout.write(`run ${handle.runId}\n`);
handle.then(
  (result) => process.stdout.write(`end ${result.status}\n`),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
