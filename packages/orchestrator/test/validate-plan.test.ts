import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCycle, validatePlan } from '../src/index.js';
import { subtask } from './support/scripted.js';

describe('validatePlan', () => {
  it('reports duplicate ids, self and unknown dependencies, and the size', () => {
    const { plan, issues } = validatePlan(
      { subtasks: [subtask('a', 'A', ['a']), subtask('a', 'A2'), subtask('b', 'B', ['zz'])] },
      { maxSubtasks: 2 },
    );
    expect(plan).toBeUndefined();
    expect(issues.map((issue) => issue.code)).toEqual([
      'too_many_subtasks',
      'duplicate_id',
      'self_dependency',
      'unknown_dependency',
    ]);
  });

  it('reports schema problems with their path', () => {
    const { issues } = validatePlan(
      { subtasks: [{ id: 'bad id!', title: '', brief: {} }] },
      { maxSubtasks: 5 },
    );
    expect(issues.map((issue) => issue.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^subtasks\.0\.id: /),
        expect.stringMatching(/^subtasks\.0\.brief\.objective: /),
      ]),
    );
  });

  it('never finds a cycle in a DAG, and always names one when a back edge closes it (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 12 })
          .chain((size) =>
            fc.tuple(
              fc.constant(size),
              fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: 30 }),
              fc.tuple(fc.nat(size - 1), fc.nat(size - 1)),
            ),
          ),
        ([size, edges, [x, y]]) => {
          // Edges only from a later node to an earlier one: acyclic.
          const dependsOn = Array.from({ length: size }, () => new Set<string>());
          for (const [from, to] of edges) if (from > to) dependsOn[from]!.add(`n${to}`);
          const nodes = () =>
            dependsOn.map((set, index) => ({ id: `n${index}`, dependsOn: [...set] }));
          expect(findCycle(nodes())).toBeUndefined();
          const [low, high] = x < y ? [x, y] : [y, x];
          if (low === high) return;
          // A path high -> low exists once added; the back edge low -> high closes a cycle.
          dependsOn[high]!.add(`n${low}`);
          dependsOn[low]!.add(`n${high}`);
          const cycle = findCycle(nodes());
          expect(cycle).toBeDefined();
          expect(cycle![0]).toBe(cycle!.at(-1));
          for (let index = 0; index + 1 < cycle!.length; index++) {
            const from = Number(cycle![index]!.slice(1));
            expect(dependsOn[from]!.has(cycle![index + 1]!)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
