/** The median of numbers (the mean of the middle two for an even count). */
export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Rounds to `digits` decimals. */
export function round(value, digits = 3) {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The machine's load average and cores, to print beside noisy figures. */
export async function machineLoad() {
  const os = await import('node:os');
  return { loadAverage1m: round(os.loadavg()[0], 2), cores: os.availableParallelism() };
}

/** `--flag value` arguments (and a bare `--` that pnpm may pass on). */
export function cliArgs(argv, options) {
  return import('node:util').then(
    ({ parseArgs }) =>
      parseArgs({ args: argv.filter((argument) => argument !== '--'), options, strict: true })
        .values,
  );
}
