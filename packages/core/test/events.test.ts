import { describe, expect, it } from 'vitest';
import { createEvents, type TaskEvent } from '../src/index.js';

const event: TaskEvent = { runId: 'r', taskId: 't' };

describe('ArmyEvents', () => {
  it('delivers one object per payload to typed listeners', () => {
    const events = createEvents();
    const seen: TaskEvent[] = [];
    events.on('task:start', (payload) => seen.push(payload));
    events.emit('task:start', event);
    expect(seen).toEqual([event]);
  });

  it('isolates a throwing listener: the others still run and emit does not throw', () => {
    const errors: [unknown, string][] = [];
    const events = createEvents({ onListenerError: (error, name) => errors.push([error, name]) });
    const seen: string[] = [];
    events.on('task:end', () => {
      throw new Error('listener bug');
    });
    events.on('task:end', () => seen.push('second'));
    expect(() => events.emit('task:end', { ...event, status: 'done', cost: 0 })).not.toThrow();
    expect(seen).toEqual(['second']);
    expect(errors).toEqual([[new Error('listener bug'), 'task:end']]);
  });

  it('keeps once and off working on guarded listeners', () => {
    const events = createEvents();
    let count = 0;
    const listener = () => {
      count += 1;
    };
    events.once('task:queued', listener);
    events.emit('task:queued', event);
    events.emit('task:queued', event);
    expect(count).toBe(1);
    events.on('task:queued', listener);
    events.on('task:start', listener);
    events.off('task:queued', listener);
    events.emit('task:queued', event);
    events.emit('task:start', event);
    expect(count).toBe(2);
    expect(events.listenerCount('task:queued')).toBe(0);
  });
});
