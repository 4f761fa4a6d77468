// Runs every *.bench.mjs beside this file (or the ones named on the command
// line) and prints one JSON object per benchmark on stdout.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => wanted.length === 0 || wanted.some((word) => name.includes(word)))
  .sort();

for (const file of files) {
  const { default: bench } = await import(pathToFileURL(`${here}${file}`).href);
  const results = await bench();
  for (const result of results)
    console.log(JSON.stringify({ bench: file.replace('.bench.mjs', ''), ...result }));
}
