import { describe, expect, it } from 'vitest';
import { Deadline, DeadlineExceededError } from './deadline.js';

describe('Deadline', () => {
  it('aborts its signal when the budget runs out', async () => {
    const deadline = new Deadline(30);
    expect(deadline.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBeInstanceOf(DeadlineExceededError);
    expect(deadline.expired).toBe(true);
  });

  it('reports the time remaining from its own clock', () => {
    let now = 1_000;
    const deadline = new Deadline(500, () => now);
    expect(deadline.remainingMs()).toBe(500);
    now = 1_400;
    expect(deadline.remainingMs()).toBe(100);
    now = 2_000;
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.expired).toBe(true);
    deadline.close();
  });

  it('does not abort once closed', async () => {
    const deadline = new Deadline(20);
    deadline.close();
    await new Promise((r) => setTimeout(r, 40));
    expect(deadline.signal.aborted).toBe(false);
  });
});
