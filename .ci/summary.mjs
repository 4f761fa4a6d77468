// Prints vitest's JSON results as one closing line CI can read:
// "tests: N passed, N failed, N skipped".
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
if (!existsSync(file)) {
  console.log(`tests: no results file at ${file}`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
console.log(
  `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`,
);
