import { mkdir, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchKnowledge } from './knowledge-watcher.js';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchKnowledge', () => {
  it('calls back once for a burst of changes, after they have been quiet, naming the last file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'loopcds-watch-'));
    const changes: string[] = [];
    const watch = watchKnowledge(
      [{ dir, accept: (name) => name.endsWith('.json') }],
      (f) => changes.push(f),
      {
        debounceMs: 400,
      },
    );
    try {
      expect(watch.watching).toEqual([dir]);
      await writeFile(path.join(dir, '.a.json.tmp'), '{}'); // a file being written: ignored
      await rename(path.join(dir, '.a.json.tmp'), path.join(dir, 'a.json'));
      await writeFile(path.join(dir, 'notes.txt'), 'not a binding'); // not accepted
      await writeFile(path.join(dir, 'b.json'), '{}');
      await settle(1500);
      expect(changes).toEqual([path.join(dir, 'b.json')]);
    } finally {
      watch.close();
    }
  });

  it('skips folders that do not exist and calls back no more once closed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'loopcds-watch-'));
    const changes: string[] = [];
    const watch = watchKnowledge([{ dir }, { dir: path.join(dir, 'missing') }], (f) => changes.push(f), {
      debounceMs: 50,
    });
    expect(watch.watching).toEqual([dir]);
    await writeFile(path.join(dir, 'x.json'), '{}');
    watch.close();
    await settle(300);
    expect(changes).toEqual([]);
  });
});

describe('watchKnowledge, for a folder made after it started', () => {
  it('watches the folder once it appears', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'loopcds-watch-'));
    const later = path.join(parent, 'releases');
    const changes: string[] = [];
    const watch = watchKnowledge(
      [{ dir: later }, { dir: parent, accept: (n) => n === 'releases' }],
      (f) => changes.push(f),
      {
        debounceMs: 200,
      },
    );
    try {
      expect(watch.watching).toEqual([parent]);
      await mkdir(later);
      await settle(800);
      expect(watch.watching).toEqual([parent, later]);
      await mkdir(path.join(later, 'x@1.0.0'));
      await settle(800);
      expect(changes.at(-1)).toBe(path.join(later, 'x@1.0.0'));
    } finally {
      watch.close();
    }
  });
});
