import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ALWAYS_SKIPPED_DIRECTORIES } from '../constants.js';
import type { Sandbox, SandboxPath } from '../sandbox.js';
import { throwIfAborted } from './abort.js';
import {
  type GitignoreMatcher,
  isIgnored,
  loadGitignore,
  repositoryMatchers,
  unblock,
} from './gitignore.js';

/** A file found by {@link walkFiles}. */
export interface WalkedFile {
  /** Real path to open (inside the root). */
  absolute: string;
  /** Path relative to the root, `/`-separated, as the model should see it. */
  relative: string;
  /** Path relative to the directory the walk started in, `/`-separated. */
  fromStart: string;
}

/** Options for {@link walkFiles}. */
export interface WalkOptions {
  sandbox: Sandbox;
  /** Where to start: a directory (walked) or a file (yielded alone). */
  start: SandboxPath;
  /**
   * Apply ignore files: the repository's `info/exclude` and the `.gitignore`
   * files above the root up to the repository's top, the root's, the
   * start's ancestors' and nested ones.
   */
  gitignore: boolean;
  signal?: AbortSignal;
}

const SKIPPED = new Set(ALWAYS_SKIPPED_DIRECTORIES);

/**
 * Walks the files under a sandboxed directory in name order, depth first.
 * Skips `.git` and `node_modules`, ignored paths (see {@link WalkOptions.gitignore}) and symbolic links
 * that resolve outside the root; does not descend into symlinked
 * directories (no cycles, no escapes).
 *
 * Hand-written rather than a glob library: it must apply nested
 * `.gitignore` files per directory and check every symbolic link against
 * the sandbox, which tinyglobby/fdir do not do; `ignore` supplies the
 * gitignore rule semantics.
 */
export async function* walkFiles(options: WalkOptions): AsyncGenerator<WalkedFile> {
  const { sandbox, start, signal } = options;
  const realRoot = await sandbox.realRoot();
  const startStat = await stat(start.absolute);
  if (!startStat.isDirectory()) {
    yield {
      absolute: start.absolute,
      relative: start.relative,
      fromStart: path.basename(start.absolute),
    };
    return;
  }
  let matchers: GitignoreMatcher[] = [];
  const startBase = start.relative === '.' ? '' : start.relative;
  if (options.gitignore) {
    matchers = await repositoryMatchers(realRoot);
    // The .gitignore files of the root and every directory down to the start.
    const parts = startBase === '' ? [] : startBase.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const base = parts.slice(0, depth).join('/');
      const loaded = await loadGitignore(path.join(realRoot, ...parts.slice(0, depth)), base);
      if (loaded) matchers.push(loaded);
    }
    // A directory named explicitly is searched even when it is ignored.
    if (startBase !== '') matchers = matchers.map((matcher) => unblock(matcher, startBase));
  }

  async function* walk(
    directory: string,
    relative: string,
    inherited: readonly GitignoreMatcher[],
  ): AsyncGenerator<WalkedFile> {
    throwIfAborted(signal);
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return; // unreadable directory: nothing to list
    }
    let active = inherited;
    if (options.gitignore && entries.some((entry) => entry.name === '.gitignore')) {
      const loaded = await loadGitignore(directory, relative);
      if (loaded) active = [...inherited, loaded];
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childRelative = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const childAbsolute = path.join(directory, entry.name);
      const fromStart =
        startBase === '' ? childRelative : childRelative.slice(startBase.length + 1);
      // `.git` is a file in submodules and worktrees: skipped whatever its type.
      if (SKIPPED.has(entry.name)) continue;
      if (entry.isDirectory()) {
        if (isIgnored(active, childRelative, true)) continue;
        yield* walk(childAbsolute, childRelative, active);
      } else if (entry.isFile()) {
        if (isIgnored(active, childRelative, false)) continue;
        yield { absolute: childAbsolute, relative: childRelative, fromStart };
      } else if (entry.isSymbolicLink()) {
        if (isIgnored(active, childRelative, false)) continue;
        const real = await sandbox.check(childAbsolute);
        if (real === undefined) continue;
        try {
          if ((await stat(real)).isFile())
            yield { absolute: real, relative: childRelative, fromStart };
        } catch {
          // vanished between readdir and stat
        }
      }
    }
  }

  yield* walk(start.absolute, startBase, matchers);
}
