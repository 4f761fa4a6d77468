import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { reply } from '../replies.js';
import { lastUserText, systemText } from '../request-text.js';
import type { Responder } from '../responder.js';
import { countTextTokens } from '../token-counter.js';
import { armyRoundDone, requestedPlanShape, toArmyPlan } from './army-plan.js';
import { parsePromptFields } from './prompt-conventions.js';

/** One shard of a simulated plan. */
export interface PlanDraftSubtask {
  id: string;
  title: string;
  /** A worker brief in the prompt convention (job, root, terms, files). */
  brief: string;
  files: string[];
  terms: string[];
  dependsOn: string[];
}

/** The plan the simulated planner produces before `toPlan` reshapes it. */
export interface PlanDraft {
  goal: string;
  root: string | undefined;
  terms: string[];
  subtasks: PlanDraftSubtask[];
  synthesis: string;
}

/** Options for {@link createPlannerResponder}. */
export interface PlannerResponderOptions {
  /** Most shards. @default 8 */
  maxShards?: number;
  /** Files per shard; overrides the even split over `maxShards`. @default an even split */
  filesPerShard?: number;
  /**
   * Reshapes the draft into your plan schema.
   * @default the orchestrator's `Plan` when the request's `output_config` schema asks for it (see `requestedPlanShape`), else the draft as is
   */
  toPlan?: (draft: PlanDraft) => unknown;
  /**
   * When the request has a tool of this name, the plan is sent as that tool's
   * input instead of JSON text. @default none (JSON text)
   */
  planTool?: string;
  /** Most files listed from disk when the prompt gives `root:` but no `files:`. @default 2000 */
  maxListedFiles?: number;
}

const SKIPPED = new Set(['node_modules', '.git', 'dist', '.turbo', 'coverage']);

function listFiles(root: string, limit: number): string[] {
  const found: string[] = [];
  const walk = (directory: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (found.length >= limit) return;
      // Hidden folders (.turbo, test output, journals) hold no source to search.
      if (SKIPPED.has(entry.name) || (entry.isDirectory() && entry.name.startsWith('.'))) continue;
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push(relative(root, path));
    }
  };
  walk(root);
  return found;
}

/** Each entry's folder (`a/b/` for `a/b/c.ts` or `a/b/c/`), deduplicated, in order; a top-level entry stays. */
function foldersOf(entries: readonly string[]): string[] {
  const folders = entries.map((entry) => {
    const cut = entry.replace(/\/$/, '').lastIndexOf('/');
    return cut < 0 ? entry : `${entry.slice(0, cut)}/`;
  });
  return [...new Set(folders)];
}

function shardNoun(shard: readonly string[]): string {
  const folders = shard.every((entry) => entry.endsWith('/'));
  if (folders) return shard.length === 1 ? 'folder' : 'folders';
  return shard.length === 1 ? 'file' : 'files';
}

function briefFor(
  goal: string,
  root: string | undefined,
  terms: string[],
  files: string[],
): string {
  return [
    'role: worker',
    `job: ${goal}`,
    ...(root ? [`root: ${root}`] : []),
    `terms: ${terms.join(', ')}`,
    ...(files.length > 0 ? ['files:', ...files.map((file) => `- ${file}`)] : []),
  ].join('\n');
}

/**
 * A SIMULATED planner for a codebase-search job. It reads `job:`, `root:`,
 * `terms:` and `files:` from the prompt (see `parsePromptFields`); when
 * there is a `root:` but no `files:` list, it lists the files under root from
 * disk. It splits the files into shards and replies with a JSON plan (or a
 * `planTool` call): one subtask per shard whose brief follows the same
 * convention, so the simulated worker can run it. With no file list and no
 * `root:`, the plan is one subtask over the whole workspace. A `maxSubtasks:`
 * line caps the shards. When `output_config` asks for the orchestrator's
 * plan schema it answers in that shape, and a follow-up round (`round: 2 of 3`)
 * is answered "done".
 */
export function createPlannerResponder(options: PlannerResponderOptions = {}): Responder {
  const maxShards = options.maxShards ?? 8;
  return (request) => {
    const fields = parsePromptFields(`${systemText(request)}\n${lastUserText(request)}`);
    const shape = requestedPlanShape(request);
    if (shape === 'army-round') return reply.json(armyRoundDone());
    const goal = fields.job ?? lastUserText(request).split('\n')[0] ?? '';
    const cap = Number.parseInt(fields.extra.maxsubtasks ?? '', 10);
    const shards = Math.max(
      1,
      Math.min(maxShards, Number.isInteger(cap) && cap > 0 ? cap : maxShards),
    );
    const files =
      fields.files.length > 0 || !fields.root
        ? fields.files
        : listFiles(fields.root, options.maxListedFiles ?? 2000);
    const draftFor = (entries: string[]): PlanDraft => {
      const size = Math.max(
        1,
        options.filesPerShard ??
          Math.ceil(entries.length / Math.max(1, Math.min(shards, entries.length))),
      );
      const subtasks: PlanDraftSubtask[] = [];
      for (let start = 0; start < entries.length; start += size) {
        const shard = entries.slice(start, start + size);
        const number = subtasks.length + 1;
        subtasks.push({
          id: `shard-${number}`,
          title: `Search ${shard.length} ${shardNoun(shard)} (shard ${number})`,
          brief: briefFor(goal, fields.root, fields.terms, shard),
          files: shard,
          terms: fields.terms,
          dependsOn: [],
        });
      }
      if (subtasks.length === 0) {
        subtasks.push({
          id: 'search-1',
          title: 'Search the whole workspace',
          brief: briefFor(goal, fields.root, fields.terms, []),
          files: [],
          terms: fields.terms,
          dependsOn: [],
        });
      }
      return {
        goal,
        root: fields.root,
        terms: fields.terms,
        subtasks,
        synthesis: 'Merge the shard summaries into one answer that lists every match by file.',
      };
    };
    const reshape = (draft: PlanDraft): unknown =>
      options.toPlan ? options.toPlan(draft) : shape === 'army' ? toArmyPlan(draft) : draft;
    // Simulation: like a model asked for a plan within `max_tokens`, a plan
    // that would not fit names folders (`dir/`: every file under it) instead
    // of files, one level up at a time, rather than being cut mid-JSON.
    let entries = files;
    let plan = reshape(draftFor(entries));
    for (
      let coarser = foldersOf(entries);
      countTextTokens(JSON.stringify(plan)) > request.max_tokens * 0.9 &&
      coarser.join('\n') !== entries.join('\n');
      coarser = foldersOf(entries)
    ) {
      entries = coarser;
      plan = reshape(draftFor(entries));
    }
    const tool =
      options.planTool && request.tools?.find((candidate) => candidate.name === options.planTool);
    return tool ? reply.toolUse(tool.name, plan) : reply.json(plan);
  };
}
