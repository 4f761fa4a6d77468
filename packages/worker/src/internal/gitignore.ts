import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** The rules of one `.gitignore` (or `info/exclude`) file, placed relative to the sandbox root. */
export interface GitignoreMatcher {
  /**
   * Directory, relative to the root, that a path must lie under for the
   * rules to apply: the file's own directory, or `''` for the root and for
   * files above it.
   */
  base: string;
  /**
   * What to put before a path below `base` so that it is relative to the
   * file's directory: `''` for files at or below the root, `packages/` for
   * the repository's top-level `.gitignore` when the root is `<repo>/packages`.
   */
  prefix: string;
  /** The patterns, each with its line index as `mark`. */
  patterns: readonly { pattern: string; mark: string }[];
  rules: Ignore;
}

function parse(text: string): { pattern: string; mark: string }[] {
  return text.split(/\r?\n/).map((pattern, index) => ({ pattern, mark: String(index) }));
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Loads one ignore file, or `undefined` when there is none (or it cannot be read). */
export async function loadIgnoreFile(
  file: string,
  base: string,
  prefix = '',
): Promise<GitignoreMatcher | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  const patterns = parse(text);
  return { base, prefix, patterns, rules: ignore().add(patterns) };
}

/** Loads `directory/.gitignore`. */
export function loadGitignore(
  directory: string,
  base: string,
  prefix = '',
): Promise<GitignoreMatcher | undefined> {
  return loadIgnoreFile(path.join(directory, '.gitignore'), base, prefix);
}

/** The verdict of one matcher on a path relative to the root, if it has one. */
function verdict(
  matcher: GitignoreMatcher,
  relative: string,
  directory: boolean,
): boolean | undefined {
  let below: string;
  if (matcher.base === '') below = relative;
  else if (relative.startsWith(`${matcher.base}/`)) below = relative.slice(matcher.base.length + 1);
  else return undefined;
  try {
    const result = matcher.rules.test(`${matcher.prefix}${below}${directory ? '/' : ''}`);
    if (result.ignored) return true;
    if (result.unignored) return false;
  } catch {
    // `ignore` refuses names it cannot treat as relative paths (e.g. "...");
    // such a name matches no rule.
  }
  return undefined;
}

/**
 * Whether a path (relative to the root, `/`-separated) is ignored. Matchers
 * are ordered from lowest to highest precedence (`info/exclude`, then
 * `.gitignore` files from the repository's top down); as in git, the
 * deepest file with a verdict decides, so a nested `!pattern` re-includes.
 */
export function isIgnored(
  matchers: readonly GitignoreMatcher[],
  relative: string,
  directory: boolean,
): boolean {
  for (let index = matchers.length - 1; index >= 0; index--) {
    const decided = verdict(matchers[index]!, relative, directory);
    if (decided !== undefined) return decided;
  }
  return false;
}

/** A name as a gitignore pattern that matches only itself (wildcards, `!`, `#` and spaces escaped). */
function literalPattern(name: string): string {
  return name.replace(/[\\*?[\]!#]/g, (character) => `\\${character}`).replace(/ /g, '\\ ');
}

/**
 * The matcher with `directory` (a path relative to the root, `''` for the
 * root) and its ancestors exempt, so that a directory named explicitly
 * (the root, or a `path` the model gives) is searched even when it is
 * ignored, as ripgrep does with an explicit path. Every rule is kept: only
 * those directories themselves are re-included (anchored negations added
 * last), so inside them the rules still apply as usual: `*.log`, and
 * `build` to a `src/build/` below an explicit `build/app`. A rule that
 * names the files themselves (`dist/**`) still ignores them.
 */
export function unblock(matcher: GitignoreMatcher, directory: string): GitignoreMatcher {
  let below: string;
  if (matcher.base === '') below = directory;
  else if (directory.startsWith(`${matcher.base}/`))
    below = directory.slice(matcher.base.length + 1);
  else return matcher;
  const target = `${matcher.prefix}${below}`.replace(/\/+$/, '');
  if (target === '') return matcher;
  const segments = target.split('/');
  const exempt = segments.map((_, index) => ({
    pattern: `!/${segments
      .slice(0, index + 1)
      .map(literalPattern)
      .join('/')}/`,
    mark: `exempt:${index}`,
  }));
  const patterns = [...matcher.patterns, ...exempt];
  return { ...matcher, patterns, rules: ignore().add(patterns) };
}

/** The repository's top: the nearest directory at or above `start` holding `.git` (a directory, or a file in worktrees and submodules). */
async function findRepositoryTop(
  start: string,
): Promise<{ top: string; dotGit: string; isFile: boolean } | undefined> {
  let directory = start;
  for (;;) {
    const dotGit = path.join(directory, '.git');
    try {
      const stats = await lstat(dotGit);
      if (stats.isDirectory() || stats.isFile())
        return { top: directory, dotGit, isFile: stats.isFile() };
    } catch {
      // no .git here: look further up
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/** `info/exclude` of the repository whose `.git` is given (a linked worktree's lives in the common dir). */
async function excludeFile(dotGit: string, isFile: boolean): Promise<string | undefined> {
  if (!isFile) return path.join(dotGit, 'info', 'exclude');
  const pointer = (await readText(dotGit))?.match(/^gitdir:\s*(.+?)\s*$/m)?.[1];
  if (pointer === undefined) return undefined;
  const gitDir = path.resolve(path.dirname(dotGit), pointer);
  const common = (await readText(path.join(gitDir, 'commondir')))?.trim();
  return path.join(common ? path.resolve(gitDir, common) : gitDir, 'info', 'exclude');
}

/**
 * The ignore rules that come from outside the root: the repository's
 * `info/exclude` and every `.gitignore` from the repository's top (the
 * nearest ancestor with a `.git`) down to the root's parent, with patterns
 * relative to each file's own directory. Empty when the root is in no
 * repository. The root and its ancestors are exempt (see {@link unblock}):
 * a root named explicitly is searched, with every rule still applied inside it.
 */
export async function repositoryMatchers(realRoot: string): Promise<GitignoreMatcher[]> {
  const found = await findRepositoryTop(realRoot);
  if (!found) return [];
  const prefixOf = (directory: string) => {
    const relative = path.relative(directory, realRoot);
    return relative === '' ? '' : `${relative.split(path.sep).join('/')}/`;
  };
  const loaded: (GitignoreMatcher | undefined)[] = [];
  const exclude = await excludeFile(found.dotGit, found.isFile);
  if (exclude) loaded.push(await loadIgnoreFile(exclude, '', prefixOf(found.top)));
  const between = path.relative(found.top, realRoot);
  const parts = between === '' ? [] : between.split(path.sep);
  for (let depth = 0; depth < parts.length; depth++) {
    const directory = path.join(found.top, ...parts.slice(0, depth));
    loaded.push(await loadGitignore(directory, '', prefixOf(directory)));
  }
  return loaded
    .filter((matcher): matcher is GitignoreMatcher => matcher !== undefined)
    .map((matcher) => unblock(matcher, ''));
}
