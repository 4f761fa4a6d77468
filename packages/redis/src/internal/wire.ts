import {
  ArmyError,
  BudgetExceededError,
  type BudgetScope,
  ERROR_CODES,
  invalidOption,
} from '@haiku-army/core';
import type { Brief, WorkerLimits, WorkerResult, WorkerTask } from '@haiku-army/worker';
import * as z from 'zod';
import { WIRE_VERSION } from '../constants.js';

/** One worker attempt as a BullMQ job's data: plain JSON, versioned. */
export const attemptJobSchema = z.object({
  v: z.literal(WIRE_VERSION),
  runId: z.string().min(1),
  task: z.object({
    id: z.string().min(1),
    brief: z.union([z.string(), z.record(z.string(), z.unknown())]),
    model: z.string().min(1),
    attempt: z.number().int().min(1),
    tags: z.array(z.string()).optional(),
    parentTaskId: z.string().optional(),
  }),
  /** The task's `output` schema as JSON Schema (a zod schema cannot travel); rebuilt with `z.fromJSONSchema`. */
  output: z.record(z.string(), z.unknown()).optional(),
  sharedPrefix: z.string().optional(),
  limits: z.record(z.string(), z.number().nullable()).optional(),
  summaryTokenCap: z.number().int().optional(),
});

/** A job's data. */
export type AttemptJob = z.infer<typeof attemptJobSchema>;

/** A worker's error, as plain data. */
interface WireError {
  name: string;
  code?: string;
  message: string;
  budget?: {
    scope: BudgetScope;
    limit: number;
    spent: number;
    requested: number;
    reserved: number;
    minimum: number;
    taskId?: string;
  };
}

/** A WorkerResult as JSON (its `error` as plain data). */
export type WireResult = Omit<WorkerResult, 'error'> & { v: number; error?: WireError };

/** The job data of one attempt. */
export function toJob(
  runId: string,
  task: WorkerTask,
  model: string,
  extra: Pick<AttemptJob, 'sharedPrefix' | 'limits' | 'summaryTokenCap'>,
): AttemptJob {
  let output: Record<string, unknown> | undefined;
  if (task.output !== undefined) {
    try {
      output = z.toJSONSchema(task.output) as Record<string, unknown>;
    } catch (error) {
      throw invalidOption(
        'output',
        `a zod schema that JSON Schema can express, to travel to worker processes (${(error as Error).message}); apply transforms in \`reduce\``,
        'a zod schema',
      );
    }
  }
  return {
    v: WIRE_VERSION,
    runId,
    task: {
      id: task.id,
      brief: task.brief as AttemptJob['task']['brief'],
      model: task.model ?? model,
      attempt: task.attempt ?? 1,
      ...(task.tags ? { tags: [...task.tags] } : {}),
      ...(task.parentTaskId !== undefined ? { parentTaskId: task.parentTaskId } : {}),
    },
    ...(output ? { output } : {}),
    ...extra,
  };
}

/** The worker task a job describes. */
export function fromJob(job: AttemptJob): { task: WorkerTask; limits?: WorkerLimits } {
  const limits =
    job.limits === undefined
      ? undefined
      : (Object.fromEntries(
          Object.entries(job.limits).map(([key, value]) => [
            key,
            value ?? Number.POSITIVE_INFINITY,
          ]),
        ) as WorkerLimits);
  return {
    task: {
      id: job.task.id,
      runId: job.runId,
      brief: job.task.brief as Brief | string,
      model: job.task.model,
      attempt: job.task.attempt,
      ...(job.task.tags ? { tags: job.task.tags } : {}),
      ...(job.task.parentTaskId !== undefined ? { parentTaskId: job.task.parentTaskId } : {}),
      ...(job.output
        ? { output: z.fromJSONSchema(job.output as z.core.JSONSchema.JSONSchema) }
        : {}),
    },
    ...(limits ? { limits } : {}),
  };
}

/** A worker's result as JSON. */
export function toWire(result: WorkerResult): WireResult {
  const { error, ...rest } = result;
  if (!error) return { v: WIRE_VERSION, ...rest };
  const code = (error as { code?: unknown }).code;
  const wire: WireError = {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
  };
  if (error instanceof BudgetExceededError)
    wire.budget = {
      scope: error.scope,
      limit: error.limit,
      spent: error.spent,
      requested: error.requested,
      reserved: error.reserved,
      minimum: error.minimum,
      ...(error.taskId !== undefined ? { taskId: error.taskId } : {}),
    };
  return { v: WIRE_VERSION, ...rest, error: wire };
}

/** A worker's result back from JSON, its error rebuilt (a budget refusal as a BudgetExceededError). */
export function fromWire(wire: WireResult): WorkerResult {
  const { error, v: _version, ...rest } = wire;
  if (!error) return rest;
  let rebuilt: Error;
  if (error.budget) rebuilt = new BudgetExceededError(error.budget);
  else if (error.code && Object.hasOwn(ERROR_CODES, error.code))
    rebuilt = new ArmyError(error.code as keyof typeof ERROR_CODES, error.message);
  else {
    rebuilt = new Error(error.message);
    rebuilt.name = error.name;
  }
  return { ...rest, error: rebuilt };
}
