import { createHash } from 'node:crypto';

/** What a subtask id may be used as in a custom id as is (no `_`, which separates the parts). */
const PLAIN_ID = /^[a-zA-Z0-9-]+$/;
const MAX_CUSTOM_ID_LENGTH = 64;
const HASH_LENGTH = 16;

/**
 * The batch `custom_id` of one worker call: the same for the same subtask,
 * attempt and turn in every process, so a resumed run finds a request it
 * submitted before under the same id. `<subtask>_<attempt>_<turn>` when the
 * subtask id is made of `a-zA-Z0-9-` and it fits in 64 characters; otherwise
 * a readable prefix and 16 hex digits of a SHA-256 of the exact triple
 * (`src/a.ts` gives `src-a-ts_1_1-<hash>`). Always valid for the API
 * (`[a-zA-Z0-9_-]{1,64}`); the two forms never collide (one ends in `_<turn>`,
 * the other in `-<hash>`).
 *
 * @example subtaskCustomId('shard-7', 1, 2) === 'shard-7_1_2'
 */
export function subtaskCustomId(subtaskId: string, attempt: number, turn: number): string {
  const plain = `${subtaskId}_${attempt}_${turn}`;
  if (PLAIN_ID.test(subtaskId) && plain.length <= MAX_CUSTOM_ID_LENGTH) return plain;
  const hash = createHash('sha256')
    .update(JSON.stringify([subtaskId, attempt, turn]))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const prefix = plain
    .replace(/[^a-zA-Z0-9_-]+/g, '-')
    .slice(0, MAX_CUSTOM_ID_LENGTH - HASH_LENGTH - 1);
  return `${prefix}-${hash}`;
}
