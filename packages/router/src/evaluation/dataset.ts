import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';

/** One prompt with the recorded outcome of a weak and a strong model. */
export interface DatasetRow {
  id: string;
  prompt: string;
  /** The weak model answered correctly. */
  weak: boolean;
  /** The strong model answered correctly. */
  strong: boolean;
  weakResponse?: string;
  strongResponse?: string;
  domain?: string;
}

/** A named set of prompts with recorded outcomes (RouteLLM's eval format). */
export interface RouterDataset {
  name: string;
  rows: readonly DatasetRow[];
}

const REQUIRED = [
  ['id', 'string'],
  ['prompt', 'string'],
  ['weak', 'boolean'],
  ['strong', 'boolean'],
] as const;
const OPTIONAL = ['weakResponse', 'strongResponse', 'domain'] as const;

function fail(where: string, message: string): never {
  throw new ArmyError(ERROR_CODES.INVALID_OPTIONS, `${where}: ${message}`);
}

/**
 * Parses JSON Lines in the format of ../shared/data/routellm: `id`, `prompt`,
 * `weak`, `strong` (booleans), optional `weakResponse`, `strongResponse`,
 * `domain`. A bad line is an `INVALID_OPTIONS` error naming the source and line.
 */
export function parseDataset(text: string, name: string, source: string = name): RouterDataset {
  const rows: DatasetRow[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim().length === 0) return;
    const where = `${source}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      fail(
        where,
        `not valid JSON (${(error as Error).message}); each line must be one JSON object.`,
      );
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      fail(where, 'expected a JSON object per line.');
    }
    const record = value as Record<string, unknown>;
    for (const [field, type] of REQUIRED) {
      if (!(field in record)) fail(where, `missing field "${field}" (a ${type}).`);
      if (typeof record[field] !== type)
        fail(where, `field "${field}" must be a ${type}, got ${JSON.stringify(record[field])}.`);
    }
    for (const field of OPTIONAL) {
      if (
        record[field] !== undefined &&
        record[field] !== null &&
        typeof record[field] !== 'string'
      )
        fail(where, `field "${field}" must be a string when present.`);
    }
    // Ids may repeat: MMLU holds a few questions twice, and RouteLLM scores each copy.
    const id = record.id as string;
    const row: DatasetRow = {
      id,
      prompt: record.prompt as string,
      weak: record.weak as boolean,
      strong: record.strong as boolean,
    };
    for (const field of OPTIONAL) {
      if (typeof record[field] === 'string') row[field] = record[field] as string;
    }
    rows.push(row);
  });
  if (rows.length === 0) fail(source, 'no prompts; the file is empty.');
  return { name, rows };
}

/** Reads a `.jsonl` data file; its name is the file name without the extension. */
export async function loadDataset(file: string): Promise<RouterDataset> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `Cannot read data file ${file}: ${(error as Error).message}.`,
      { cause: error },
    );
  }
  return parseDataset(text, path.basename(file).replace(/\.jsonl$/i, ''), file);
}
