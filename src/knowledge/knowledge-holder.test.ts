import { describe, expect, it } from 'vitest';
import { KnowledgeLoadError, type KnowledgeBase } from './knowledge-base.js';
import { KnowledgeHolder } from './knowledge-holder.js';

/** A stand-in knowledge base: the holder never looks inside one, except for its services in status(). */
function kb(name: string): KnowledgeBase {
  return { services: new Map(), name } as unknown as KnowledgeBase;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('KnowledgeHolder', () => {
  it('swaps in the new knowledge whole, while a call that read the old one keeps it', async () => {
    const holder = new KnowledgeHolder(kb('v1'), () => Promise.resolve(kb('v2')));
    const inFlight = holder.current();
    const report = await holder.reload('test');
    expect(report).toMatchObject({ ok: true, generation: 2, problems: [] });
    expect(inFlight).toMatchObject({ name: 'v1' });
    expect(holder.current()).toMatchObject({ name: 'v2' });
  });

  it('keeps the previous knowledge serving when the new one fails to load, and reports every problem', async () => {
    const holder = new KnowledgeHolder(kb('v1'), () =>
      Promise.reject(new KnowledgeLoadError(['cds-hooks/x.json: no artefact release a@9.9.9', 'another'])),
    );
    const seen: boolean[] = [];
    holder.subscribe((r) => seen.push(r.ok));
    const report = await holder.reload('file change: cds-hooks/x.json');
    expect(report).toMatchObject({ ok: false, generation: 1 });
    expect(report.problems).toEqual(['cds-hooks/x.json: no artefact release a@9.9.9', 'another']);
    expect(holder.current()).toMatchObject({ name: 'v1' });
    expect(holder.status().failing?.trigger).toBe('file change: cds-hooks/x.json');
    expect(seen).toEqual([false]);
  });

  it('never runs two reloads at once, and serves a burst of requests with one more reload', async () => {
    const loads: Array<ReturnType<typeof deferred<KnowledgeBase>>> = [];
    const holder = new KnowledgeHolder(kb('v1'), () => {
      const d = deferred<KnowledgeBase>();
      loads.push(d);
      return d.promise;
    });
    const first = holder.reload('a');
    const second = holder.reload('b');
    const third = holder.reload('c');
    expect(second).toBe(third); // coalesced
    expect(loads).toHaveLength(1);
    loads[0]?.resolve(kb('v2'));
    expect((await first).generation).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(loads).toHaveLength(2);
    loads[1]?.resolve(kb('v3'));
    expect(await second).toMatchObject({ ok: true, generation: 3, trigger: 'b' });
    expect(holder.current()).toMatchObject({ name: 'v3' });
  });

  it('clears a reported failure once a reload succeeds', async () => {
    let fail = true;
    const holder = new KnowledgeHolder(kb('v1'), () =>
      fail ? Promise.reject(new Error('broken')) : Promise.resolve(kb('v2')),
    );
    await holder.reload('x');
    expect(holder.status().failing?.problems).toEqual(['broken']);
    fail = false;
    await holder.reload('y');
    expect(holder.status().failing).toBeNull();
    expect(holder.status().lastReload?.ok).toBe(true);
  });
});
