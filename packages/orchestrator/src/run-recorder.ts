import type { Attribution, CallRole, GatewayRequest, LedgerEntry } from '@haiku-army/core';
import type { Artifact } from './army-options.js';
import type { Plan, PlanSubtask } from './plan.js';
import type { RunResult, SubtaskOutcome, SubtaskResult } from './run-result.js';

/** What a run records when it starts. Never holds credentials. */
export interface RunStartRecord {
  runId: string;
  job: string;
  /** A JSON-safe summary of the army's options (models, limits, policy). */
  options: Record<string, unknown>;
  startedAt: number;
  /** What the run was asked to do, so a resume can go on the same way. */
  spec: {
    /** Where round 1's plan came from: the planner (`run`) or the caller (`runPlan`, `map`). */
    plan: 'planner' | 'given';
    /** Whether later rounds may ask the planner for more subtasks (false for `map`). */
    planRounds: boolean;
    /** Whether the synthesizer writes the answer (when there is no `reduce`). */
    synthesize: boolean;
    /** The JSON Schema of every subtask's `data` (`map`'s `output`), when it has one. */
    outputSchema?: Record<string, unknown>;
    /**
     * Set for a map over an iterable: its items are read and journaled in
     * chunks of `chunkSize`; `keepResults: false` when its results were not
     * kept in memory (a resume goes on the same way).
     */
    streamed?: { chunkSize: number; keepResults?: false };
  };
  /** Set when this start resumes an interrupted run (same `runId`). */
  resumed?: true;
}

/** A plan the run adopted (round 1, or a later round's additions). */
export interface PlanRecord {
  runId: string;
  round: number;
  plan: Plan;
}

/**
 * A chunk of a streamed map's items, read and turned into subtasks: written
 * (and flushed) before any of them runs, so a resume knows which items were
 * read and runs the same subtasks, without reading them again.
 */
export interface ChunkRecord {
  runId: string;
  /** 0-based, in reading order. */
  index: number;
  /** Index of the chunk's first item in the whole iterable. */
  from: number;
  /** Items in the chunk. */
  count: number;
  /** Whether the iterable ended with this chunk. */
  end: boolean;
  /** One subtask per item, in order. */
  subtasks: PlanSubtask[];
}

/** A model call about to be sent (its reservation is what it may cost). */
export interface CallStartRecord {
  runId: string;
  /** Unique within the run's execution; `callEnded` names it. */
  callId: string;
  taskId: string;
  role: CallRole;
  model: string;
  attempt: number;
  /** The call's worst-case cost, nano-USD: what the API may bill if the process dies before it ends. */
  worstCase: number;
  /** ms since the epoch. */
  at: number;
}

/** A model call that ended, billed or not. */
export interface CallEndRecord {
  runId: string;
  callId: string;
  outcome: 'success' | 'error' | 'aborted';
  /** Its billed ledger entry (the one `ledgerEntry` then receives), when it was billed. */
  entry?: LedgerEntry;
}

/** Files a finished subtask wrote. */
export interface ArtifactsRecord {
  runId: string;
  taskId: string;
  artifacts: Artifact[];
}

/** A Message Batch the run submitted: enough to reattach to it (`gateway.resumeBatch`) instead of resubmitting. */
export interface BatchSubmittedRecord {
  runId: string;
  batchId: string;
  customIds: string[];
  /** As core's `BatchSubmission`. */
  attributions: Record<string, Attribution>;
  /** Custom id -> request (for `resumeBatch`'s reservations). */
  requests: Record<string, GatewayRequest>;
  /** The {@link BatchCreatingRecord} of its create, when one was recorded. */
  intent?: string;
  /** Its line in the journal, when read from one: of two records holding a request, the later is its latest. */
  seq?: number;
}

/**
 * A Message Batch about to be created (batch mode), recorded before the
 * create is sent: a process killed after the API made the batch and before
 * its id was recorded leaves this without a {@link BatchSubmittedRecord}, and
 * a resume finds the batch (`gateway.reconcileBatch`) instead of creating it
 * again.
 */
export interface BatchCreatingRecord extends Omit<BatchSubmittedRecord, 'batchId' | 'intent'> {
  /** Unique per create: a later `BatchSubmittedRecord` with this `intent` is its batch. */
  intent: string;
  /** When the create was sent, ms since the epoch (core's `BatchCreating.at`). */
  at: number;
}

/**
 * The one place everything a run decides passes through: the plan, each
 * finished subtask's result and each ledger entry, in order. The default
 * records nothing; the durable-runs journal implements it. A returned
 * promise is awaited before the run goes on (a subtask's dependents start,
 * a call's response is used), so a journal can fsync first.
 */
export interface RunRecorder {
  runStarted?(record: RunStartRecord): void | Promise<void>;
  planAdopted?(record: PlanRecord): void | Promise<void>;
  /**
   * A call of the run is about to be sent. Synchronous on purpose (its
   * return is not awaited): the request goes out right after it.
   */
  callStarted?(record: CallStartRecord): void;
  /** A call started with `callStarted` ended. Called before `ledgerEntry` of its entry. */
  callEnded?(record: CallEndRecord): void | Promise<void>;
  /** Every billed call of the run (planner, workers, router, synthesizer). */
  ledgerEntry?(entry: LedgerEntry): void | Promise<void>;
  /** Files a subtask wrote, when it finished (before `subtaskFinished`). */
  artifactsWritten?(record: ArtifactsRecord): void | Promise<void>;
  /** A subtask reached its final result (after every attempt). */
  subtaskFinished?(record: { runId: string; result: SubtaskResult }): void | Promise<void>;
  /** A streamed map read a chunk of items; awaited before the chunk's subtasks start. */
  chunkRead?(record: ChunkRecord): void | Promise<void>;
  /** A Message Batch is about to be created (batch mode); awaited before the create is sent. */
  batchCreating?(record: BatchCreatingRecord): void | Promise<void>;
  /** A Message Batch was submitted (batch mode); awaited before the run waits for its results. */
  batchSubmitted?(record: BatchSubmittedRecord): void | Promise<void>;
  runEnded?(result: RunResult): void | Promise<void>;
}

/** What a resumed run starts from (set on `RunSpec.resume`). */
export interface ResumeState {
  /** Finished subtasks, kept as is (compact for a streamed map); the run takes them once, at its start. */
  results: SubtaskResult[];
  /** A map with `keepResults: false`: its finished subtasks' outcomes instead (`results` is empty); taken once, as `results`. */
  outcomes?: SubtaskOutcome[];
  /** Submitted batches: reattach with `gateway.resumeBatch`, never resubmit. */
  batches: BatchSubmittedRecord[];
  /** Creates sent whose batch id was never recorded: found with `gateway.reconcileBatch`, not sent again unless none is found. */
  creates?: BatchCreatingRecord[];
  /** Every batch id the interrupted executions recorded (a reconciliation never takes one of them for a lost create). */
  batchIds?: readonly string[];
  /** Ids of the interrupted runs' ledger entries (already restored into the ledger and journaled); taken once, when the run is made. */
  entryIds: readonly string[];
}

/** A recorder that records nothing. */
export const noopRecorder: RunRecorder = Object.freeze({});

/**
 * One recorder that hands every record to each of `recorders`, in order,
 * and waits for all of them (the journal and a recorder of the caller's).
 */
export function composeRecorders(...recorders: readonly RunRecorder[]): RunRecorder {
  const present = recorders.filter((recorder) => recorder !== noopRecorder);
  if (present.length === 0) return noopRecorder;
  if (present.length === 1) return present[0]!;
  const each =
    <K extends keyof RunRecorder>(name: K) =>
    async (record: Parameters<NonNullable<RunRecorder[K]>>[0]): Promise<void> => {
      const pending: Promise<void>[] = [];
      for (const recorder of present) {
        const method = recorder[name] as ((record: unknown) => void | Promise<void>) | undefined;
        const written = method?.call(recorder, record);
        if (written instanceof Promise) pending.push(written);
      }
      await Promise.all(pending);
    };
  return {
    runStarted: each('runStarted'),
    planAdopted: each('planAdopted'),
    callStarted: (record) => {
      for (const recorder of present) recorder.callStarted?.(record);
    },
    callEnded: each('callEnded'),
    ledgerEntry: each('ledgerEntry'),
    artifactsWritten: each('artifactsWritten'),
    subtaskFinished: each('subtaskFinished'),
    batchCreating: each('batchCreating'),
    batchSubmitted: each('batchSubmitted'),
    chunkRead: each('chunkRead'),
    runEnded: each('runEnded'),
  };
}
