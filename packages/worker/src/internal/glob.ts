import picomatch from 'picomatch';
import { ToolError } from '../tool.js';

/**
 * Compiles a file glob. A pattern without `/` matches file names at any
 * depth (as in `.gitignore` and ripgrep's `--glob`); one with `/` matches the
 * path relative to the directory searched. Dot files are matched.
 */
export function compileGlob(pattern: string, option: string): (relative: string) => boolean {
  if (pattern.includes('\0')) throw new ToolError(`\`${option}\` contains a NUL byte.`);
  try {
    const matcher = picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
    return (relative) => matcher(relative);
  } catch (error) {
    throw new ToolError(
      `Invalid glob ${JSON.stringify(pattern)} in \`${option}\`: ${(error as Error).message}.`,
    );
  }
}
