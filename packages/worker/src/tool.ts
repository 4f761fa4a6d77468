import { type GatewayRequest, invalidOption } from '@haiku-army/core';
import * as z from 'zod';
import type { DependencyRecorder } from './dependencies.js';

/** A custom tool definition as the Messages API takes it. */
export type ApiTool = Extract<
  NonNullable<GatewayRequest['tools']>[number],
  { input_schema: unknown; description?: string }
>;

/** What a tool's `run` receives besides its input. */
export interface ToolContext {
  /** Aborted when the worker is cancelled or runs out of time: stop work and return. */
  signal: AbortSignal;
  /** The run the worker belongs to. */
  runId: string;
  /** The subtask the worker is running. */
  taskId: string;
  /** The id of the `tool_use` block being answered. */
  toolUseId: string;
  /**
   * Where the tool reports what it read and wrote, so the result cache can
   * tell when a reused result is stale. A tool that calls it declares
   * `recordsDependencies: true`. Absent outside a worker run.
   */
  dependencies?: DependencyRecorder;
}

/** What {@link defineTool} takes. */
export interface ToolDefinition<TInput extends z.ZodType = z.ZodType> {
  /** The name the model calls, `^[a-zA-Z0-9_-]{1,64}$`. */
  name: string;
  /** What the tool does and when to use it; the model reads this. */
  description: string;
  /**
   * A zod object schema of the input; sent as JSON Schema and checked before
   * `run`. A plain `z.object` is made strict: an unknown key is an error
   * that lists the accepted keys (and the JSON Schema says
   * `additionalProperties: false`). Use `z.looseObject` to accept extra keys.
   */
  input: TInput;
  /**
   * Does the work. Return a string (sent as is) or any JSON value (sent as
   * JSON). Throw {@link ToolError} for an error the model should read
   * verbatim; any other error is sent as `Tool "name" failed: message`.
   */
  run(input: z.output<TInput>, context: ToolContext): unknown;
  /**
   * The result depends on the input alone (no files, no clock, no network):
   * calling it never stops a subtask's result from being reused. @default false
   */
  pure?: boolean;
  /**
   * `run` reports every file it reads or writes and every query it answers
   * to `context.dependencies`. A tool that is neither this nor `pure` makes
   * the subtasks that call it uncacheable. @default false
   */
  recordsDependencies?: boolean;
  /**
   * A hash of the workspace the tool sees (e.g. `list_files`: every path
   * under its root): part of the key under which a plan is reused, so a
   * plan is made again when the tree changes. @default none
   */
  fingerprint?(signal: AbortSignal): Promise<string>;
}

/** A tool a worker can use: the definition plus its JSON Schema for the API. */
export interface Tool<TInput extends z.ZodType = z.ZodType> extends ToolDefinition<TInput> {
  /** The input's JSON Schema (zod 4 `z.toJSONSchema`, input side, without `$schema`). */
  readonly inputSchema: Record<string, unknown>;
  /** The definition the Messages API takes. */
  toApiTool(): ApiTool;
}

/**
 * An error whose message is meant for the model: it goes back as a
 * `tool_result` with `is_error: true`, word for word. Say what was wrong and
 * what to do instead.
 */
export class ToolError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The JSON Schema of what the model must produce for a zod schema: the
 * input side (fields with defaults are optional, a transform is described
 * by what it accepts), without `$schema`. `option` names the schema in the
 * error when JSON Schema cannot represent it.
 */
export function modelFacingSchema(schema: z.ZodType, option: string): Record<string, unknown> {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<
      string,
      unknown
    >;
    return rest;
  } catch (error) {
    throw invalidOption(
      option,
      'a zod schema that JSON Schema can represent (no transforms to unrepresentable types)',
      error instanceof Error ? error.message : error,
    );
  }
}

/** Turns a zod object schema into the JSON Schema of a tool input. */
export function toInputSchema(name: string, schema: z.ZodType): Record<string, unknown> {
  const json = modelFacingSchema(schema, `tools.${name}.input`);
  if (json.type !== 'object')
    throw invalidOption(`tools.${name}.input`, 'a zod object schema (z.object({...}))', json.type);
  return json;
}

/** The message of an unknown-key issue: the keys refused and the keys accepted. */
function unknownKeysMessage(name: string, keys: readonly string[], accepted: readonly string[]) {
  const refused = keys.map((key) => JSON.stringify(key)).join(', ');
  const allowed = accepted.length === 0 ? 'no keys (pass {})' : `only: ${accepted.join(', ')}`;
  return `Unknown key${keys.length === 1 ? '' : 's'} ${refused}: tool "${name}" accepts ${allowed}. Remove ${keys.length === 1 ? 'it' : 'them'} or use an accepted key.`;
}

/**
 * A plain (key-stripping) `z.object` made strict, and a strict one's
 * unknown-key issue worded for the model (the keys accepted). Loose objects
 * and other schemas are returned as they are. Cloned through the def's property descriptors (as
 * zod's own `.strict()` does) so a lazily resolved shape stays lazy, with
 * `parent` kept so metadata such as `.describe()` carries over.
 */
export function strictInput<TInput extends z.ZodType>(name: string, input: TInput): TInput {
  if (!(input instanceof z.ZodObject)) return input;
  const { catchall } = input.def;
  if (catchall !== undefined && !(catchall instanceof z.ZodNever)) return input;
  const accepted = Object.keys(input.shape);
  const previous = input.def.error as z.core.$ZodErrorMap | undefined;
  const error: z.core.$ZodErrorMap = (issue) =>
    issue.code === 'unrecognized_keys' && !issue.path?.length
      ? unknownKeysMessage(name, issue.keys, accepted)
      : previous?.(issue);
  const def = Object.defineProperties(
    {},
    {
      ...Object.getOwnPropertyDescriptors(input.def),
      ...Object.getOwnPropertyDescriptors({ catchall: z.never(), error }),
    },
  ) as typeof input.def;
  return input.clone(def, { parent: true }) as unknown as TInput;
}

/**
 * Defines a tool with a zod input schema. The input is validated before
 * `run`; invalid input and thrown errors go back to the model as
 * `tool_result` blocks with `is_error: true`, never crash the worker. Input
 * objects are strict: a key the schema does not name is refused with the
 * list of accepted keys, rather than silently dropped.
 *
 * @example
 * const wordCount = defineTool({
 *   name: 'word_count',
 *   description: 'Counts the words in a text.',
 *   input: z.object({ text: z.string() }),
 *   run: ({ text }) => String(text.split(/\s+/).filter(Boolean).length),
 * });
 */
export function defineTool<TInput extends z.ZodType>(
  definition: ToolDefinition<TInput>,
): Tool<TInput> {
  if (!definition || typeof definition !== 'object')
    throw invalidOption('tool', 'an object { name, description, input, run }', definition);
  const { name, description, input, run, pure, recordsDependencies, fingerprint } = definition;
  if (typeof name !== 'string' || !TOOL_NAME.test(name))
    throw invalidOption('name', 'a tool name matching ^[a-zA-Z0-9_-]{1,64}$', name);
  if (typeof description !== 'string' || description.trim().length === 0)
    throw invalidOption(`tools.${name}.description`, 'a non-empty string', description);
  if (!(input instanceof z.ZodType))
    throw invalidOption(`tools.${name}.input`, 'a zod 4 schema', input);
  if (typeof run !== 'function')
    throw invalidOption(`tools.${name}.run`, 'a function (input, context) => result', run);
  if (pure !== undefined && typeof pure !== 'boolean')
    throw invalidOption(`tools.${name}.pure`, 'a boolean', pure);
  if (recordsDependencies !== undefined && typeof recordsDependencies !== 'boolean')
    throw invalidOption(`tools.${name}.recordsDependencies`, 'a boolean', recordsDependencies);
  const strict = strictInput(name, input);
  const inputSchema = toInputSchema(name, strict);
  return {
    name,
    description,
    input: strict,
    run,
    ...(pure ? { pure: true } : {}),
    ...(recordsDependencies ? { recordsDependencies: true } : {}),
    ...(typeof fingerprint === 'function' ? { fingerprint } : {}),
    inputSchema,
    toApiTool: () => ({ name, description, input_schema: inputSchema as ApiTool['input_schema'] }),
  } as Tool<TInput>;
}
