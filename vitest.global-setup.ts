import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every army a test creates journals its runs (the orchestrator's `journal`
// option defaults to HAIKU_ARMY_JOURNAL, else `.army/runs` under the working
// directory): point it at a temporary directory, so no test writes into the
// repository, and remove it afterwards. Test workers and the child processes
// they spawn inherit the variable.
let created: string | undefined;

export default function setup(): (() => void) | undefined {
  if (created) return undefined;
  created = mkdtempSync(join(tmpdir(), 'haiku-army-journal-'));
  process.env.HAIKU_ARMY_JOURNAL = created;
  // The result cache would otherwise be on by default and shared by every
  // test (and every run of the suite): tests that want it pass `cache`.
  process.env.HAIKU_ARMY_CACHE = 'off';
  const dir = created;
  return () => rmSync(dir, { recursive: true, force: true });
}
