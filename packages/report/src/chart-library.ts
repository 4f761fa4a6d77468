import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';

const require = createRequire(import.meta.url);

let cached: string | undefined;

/**
 * Chart.js 4's UMD build (MIT), as text ready to sit inside an inline
 * `<script>`. Read from the installed `chart.js` package on first use
 * (resolved from this module, so it works from the workspace and from an
 * installed tarball alike), then kept.
 *
 * The text is changed only where a self-contained offline file needs it:
 * - the `//# sourceMappingURL=` comment is dropped (the map is not inlined;
 *   devtools would try to load it from next to the report);
 * - the scheme of the links in the `/*! ... *\/` licence banners is dropped
 *   (`https://www.chartjs.org` becomes `www.chartjs.org`), so the file holds
 *   no URL at all while every copyright and licence notice stays intact;
 * - `</script` is written `<\/script` (the same string to JavaScript), so
 *   the library can never close its script element early.
 */
export function chartLibrary(): string {
  if (cached !== undefined) return cached;
  let text: string;
  try {
    // chart.js's `exports` map does not list the UMD file: resolve the
    // package's CommonJS entry (dist/chart.cjs) and take its sibling.
    const entry = require.resolve('chart.js');
    text = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  } catch (error) {
    throw new ArmyError(
      ERROR_CODES.INVALID_STATE,
      `Could not read Chart.js's UMD build (chart.js/dist/chart.umd.min.js) for the report: ${(error as Error).message}. Reinstall @haiku-army/report's dependencies (chart.js 4).`,
      { cause: error },
    );
  }
  cached = text
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '')
    .replace(/\/\*![\s\S]*?\*\//g, (banner) => banner.replace(/https?:\/\//g, ''))
    .replace(/<\/script/gi, '<\\/script');
  return cached;
}
