/** The kinds of id the fake generates. */
export type IdKind = 'request' | 'message' | 'tool_use' | 'batch';

const PREFIX: Record<IdKind, string> = {
  request: 'req_fake_',
  message: 'msg_fake_',
  tool_use: 'toolu_fake_',
  batch: 'msgbatch_fake_',
};

/** Deterministic ids: a prefix and a per-kind counter, e.g. `msg_fake_00000001`. */
export function createIdGenerator(custom?: (kind: IdKind) => string): {
  next(kind: IdKind): string;
  reset(): void;
} {
  const counters = new Map<IdKind, number>();
  return {
    next(kind) {
      if (custom) return custom(kind);
      const value = (counters.get(kind) ?? 0) + 1;
      counters.set(kind, value);
      return `${PREFIX[kind]}${String(value).padStart(8, '0')}`;
    },
    reset() {
      counters.clear();
    },
  };
}
