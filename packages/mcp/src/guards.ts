import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ArmyError, ERROR_CODES } from '@haiku-army/core';

/** Error code of a request for a root the server was not started with. */
export const ROOT_NOT_ALLOWED = 'ROOT_NOT_ALLOWED';
/** Error code of a budget over the server's cap. */
export const BUDGET_OVER_CAP = 'BUDGET_OVER_CAP';

/** A refusal the client can act on: its message names what is allowed. */
export class McpRefusal extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'McpRefusal';
    this.code = code;
  }
}

/**
 * The real path of `requested` when it is one of `roots` or inside one
 * (relative paths are taken from the first root). Refuses anything else,
 * naming the allowed roots.
 */
export function checkRoot(requested: string | undefined, roots: readonly string[]): string {
  const first = roots[0]!;
  if (requested === undefined || requested === '') return first;
  const refuse = () =>
    new McpRefusal(
      ROOT_NOT_ALLOWED,
      `The root ${JSON.stringify(requested)} is not allowed. This server may only search: ${roots.join(', ')} (and their subdirectories); it was started with those --root options.`,
    );
  let real: string;
  try {
    real = realpathSync(resolve(first, requested));
  } catch {
    throw refuse();
  }
  const inside = roots.some((root) => {
    const path = relative(root, real);
    return path === '' || (!path.startsWith('..') && !isAbsolute(path));
  });
  if (!inside) throw refuse();
  return real;
}

/** The call's budget in USD: `requested`, or the cap when absent; refused above the cap. */
export function checkBudget(requested: number | undefined, cap: number): number {
  if (requested === undefined) return cap;
  if (!Number.isFinite(requested) || requested <= 0)
    throw new ArmyError(
      ERROR_CODES.INVALID_OPTIONS,
      `budgetUsd must be a positive number of USD, got ${requested}.`,
    );
  if (requested > cap)
    throw new McpRefusal(
      BUDGET_OVER_CAP,
      `budgetUsd ${requested} is over this server's cap of ${cap} USD per call (--max-budget). Ask for at most ${cap}, or omit budgetUsd to use the cap.`,
    );
  return requested;
}
