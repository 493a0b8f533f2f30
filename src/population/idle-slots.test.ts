import { describe, expect, it } from 'vitest';
import { IdleSlots } from './idle-slots.js';

describe('IdleSlots', () => {
  it('gives callers started together different slots, and makes the third wait for a release', async () => {
    const slots = new IdleSlots(['w0', 'w1']);
    const taken: string[] = [];
    const all = [slots.acquire(), slots.acquire(), slots.acquire()].map((p) => p.then((s) => taken.push(s)));
    await Promise.resolve();
    await Promise.resolve();
    expect(taken).toEqual(['w0', 'w1']);
    slots.release('w1');
    await Promise.all(all);
    expect(taken).toEqual(['w0', 'w1', 'w1']);
  });

  it('hands a released slot to the longest-waiting caller first', async () => {
    const slots = new IdleSlots(['only']);
    await slots.acquire();
    const order: number[] = [];
    const first = slots.acquire().then(() => order.push(1));
    const second = slots.acquire().then(() => order.push(2));
    slots.release('only');
    await first;
    slots.release('only');
    await second;
    expect(order).toEqual([1, 2]);
  });

  it('keeps a released slot idle for the next caller when nobody waits', async () => {
    const slots = new IdleSlots<string>([]);
    slots.add('late');
    await expect(slots.acquire()).resolves.toBe('late');
  });
});
