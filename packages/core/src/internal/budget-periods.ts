/** Scope keys and period bounds of the budget. */

/** Task caps are per task of a run: the same task id in another run is another task. */
export function taskKey(runId: string, taskId: string): string {
  return `${runId}/${taskId}`;
}

export function dayKey(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
export function monthKey(time: number): string {
  return new Date(time).toISOString().slice(0, 7);
}
export function periodBounds(scope: 'day' | 'month', key: string): [number, number] {
  if (scope === 'day') {
    const start = Date.parse(`${key}T00:00:00.000Z`);
    return [start, start + 86_400_000];
  }
  const [year, month] = key.split('-').map(Number) as [number, number];
  return [Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1)];
}
