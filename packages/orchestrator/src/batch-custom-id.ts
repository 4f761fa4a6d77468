import { createHash } from 'node:crypto';

/** What a subtask id may be used as in a custom id as is (no `_`, which separates the parts). */
const PLAIN_ID = /^[a-zA-Z0-9-]+$/;
const MAX_CUSTOM_ID_LENGTH = 64;
const HASH_LENGTH = 16;
/** Hex digits of the run's token (32 bits: two runs share one about once in four billion). */
const RUN_TOKEN_LENGTH = 8;

function sha256Hex(value: string, length: number): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

/**
 * The batch `custom_id` of one worker call: the same for the same run,
 * subtask, attempt and turn in every process, so a resumed run finds a
 * request it submitted before under the same id. Given the run's id, it ends
 * in a token of that id, so another run's batch (say, a map over the same
 * items) never holds a line a reconciliation would take for this run's.
 * `<subtask>_<attempt>_<turn>[_<run token>]` when the subtask id is made of
 * `a-zA-Z0-9-` and it fits in 64 characters; otherwise a readable prefix and
 * 16 hex digits of a SHA-256 of the exact parts (`src/a.ts` gives
 * `src-a-ts_1_1-<hash>`). Always valid for the API (`[a-zA-Z0-9_-]{1,64}`);
 * the forms never collide (the plain ones end in `_<digits or hex>` after
 * two or three `_`, the other in `-<hash>`).
 *
 * @example subtaskCustomId('shard-7', 1, 2) === 'shard-7_1_2'
 */
export function subtaskCustomId(
  subtaskId: string,
  attempt: number,
  turn: number,
  runId?: string,
): string {
  const token = runId === undefined ? '' : `_${sha256Hex(runId, RUN_TOKEN_LENGTH)}`;
  const plain = `${subtaskId}_${attempt}_${turn}${token}`;
  if (PLAIN_ID.test(subtaskId) && plain.length <= MAX_CUSTOM_ID_LENGTH) return plain;
  const parts =
    runId === undefined ? [subtaskId, attempt, turn] : [subtaskId, attempt, turn, runId];
  const hash = sha256Hex(JSON.stringify(parts), HASH_LENGTH);
  const prefix = `${subtaskId}_${attempt}_${turn}`
    .replace(/[^a-zA-Z0-9_-]+/g, '-')
    .slice(0, MAX_CUSTOM_ID_LENGTH - HASH_LENGTH - 1);
  return `${prefix}-${hash}`;
}
