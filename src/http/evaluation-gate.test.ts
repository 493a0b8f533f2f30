import { describe, expect, it } from 'vitest';
import { EvaluationGate } from './evaluation-gate.js';

describe('EvaluationGate', () => {
  it('runs one piece of work at a time, in the order they arrived', async () => {
    const gate = new EvaluationGate();
    const log: string[] = [];
    const work = (name: string) => async () => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([gate.run(work('a')), gate.run(work('b')), gate.run(work('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('lets the next caller in when a piece of work fails', async () => {
    const gate = new EvaluationGate();
    const failing = gate.run(() => Promise.reject(new Error('rule failed')));
    const next = gate.run(() => Promise.resolve('next'));
    await expect(failing).rejects.toThrow('rule failed');
    await expect(next).resolves.toBe('next');
    expect(gate.waiting).toBe(0);
  });

  it('runs up to its concurrency at once', async () => {
    const gate = new EvaluationGate(2);
    let active = 0;
    let most = 0;
    const work = async () => {
      most = Math.max(most, ++active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
    };
    await Promise.all([1, 2, 3, 4, 5].map(() => gate.run(work)));
    expect(most).toBe(2);
  });
});
