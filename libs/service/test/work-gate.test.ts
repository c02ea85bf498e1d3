import { describe, expect, it } from 'vitest';
import { HttpError, WorkGate } from '../src/index.js';

/** A piece of work that runs until released, recording when it started. */
function heldWork(started: string[], name: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    release: () => release(),
    run: async () => {
      started.push(name);
      await released;
      return name;
    },
  };
}

describe('WorkGate', () => {
  it('runs `concurrency` at once and starts the rest in arrival order', async () => {
    const gate = new WorkGate({ name: 'test', concurrency: 2, queueMax: 10 });
    const started: string[] = [];
    const works = ['a', 'b', 'c', 'd'].map((name) => heldWork(started, name));
    const results = works.map((work) => gate.admit(work.run));
    await expect.poll(() => started).toEqual(['a', 'b']);
    expect({ active: gate.active, waiting: gate.waiting }).toEqual({ active: 2, waiting: 2 });

    works[1]!.release();
    await expect.poll(() => started).toEqual(['a', 'b', 'c']);
    works[0]!.release();
    await expect.poll(() => started).toEqual(['a', 'b', 'c', 'd']);
    works[2]!.release();
    works[3]!.release();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect({ active: gate.active, waiting: gate.waiting }).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses with a 503 at once past queueMax, and admits again once the queue has room', async () => {
    const gate = new WorkGate({ name: 'test work', concurrency: 1, queueMax: 1 });
    const started: string[] = [];
    const first = heldWork(started, 'first');
    const second = heldWork(started, 'second');
    const results = [gate.admit(first.run), gate.admit(second.run)];
    await expect.poll(() => started).toEqual(['first']);
    expect(gate.full).toBe(true);

    const refused = gate.admit(async () => 'never');
    await expect(refused).rejects.toBeInstanceOf(HttpError);
    await expect(refused).rejects.toMatchObject({
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: 'test work queue full: 1 requests already wait on this replica',
    });
    // run() is for callers that must not be refused: it queues beyond the bound.
    const forced = gate.run(async () => 'forced');
    expect(gate.waiting).toBe(2);

    first.release();
    second.release();
    expect(await Promise.all([...results, forced])).toEqual(['first', 'second', 'forced']);
    expect(gate.full).toBe(false);
    expect(await gate.admit(async () => 'again')).toBe('again');
  });
});
