/** Every key this package writes, under one prefix. Hash tags (`{runId}`) keep a run's keys on one Redis Cluster slot. */
export function runKeys(prefix: string, runId: string) {
  const base = `${prefix}:run:{${runId}}`;
  return {
    budget: `${base}:budget`,
    leases: `${base}:budget:leases`,
    lease: `${base}:budget:lease`,
    ledger: `${base}:ledger`,
    results: `${base}:results`,
    resultsByJob: `${base}:results-by-job`,
    /** Attempts the coordinator cancelled (job ids): a worker that takes one does not run it. */
    cancelled: `${base}:cancelled`,
  };
}

/** The channel a coordinator publishes a cancelled attempt's job id on; every worker process listens. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

/** Keys of one model's shared rate-limit buckets. */
export function modelKeys(prefix: string, model: string) {
  const base = `${prefix}:rate:{${model}}`;
  return { buckets: base, probe: `${base}:probe` };
}

/** The BullMQ job id of one attempt of one subtask (BullMQ ids may not contain `:`). */
export function jobIdOf(runId: string, taskId: string, attempt: number): string {
  return `${encodeURIComponent(runId)}.${attempt}.${encodeURIComponent(taskId)}`;
}
