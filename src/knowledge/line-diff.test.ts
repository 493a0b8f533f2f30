import { describe, expect, it } from 'vitest';
import { diffLines, unifiedHunks } from './line-diff.js';

describe('diffLines', () => {
  it('shows a changed line as its removal then its addition, with the lines around it kept', () => {
    const diff = diffLines('a\nb\nc\n', 'a\nB\nc\n');
    expect(diff.map((l) => `${l.op}${l.text}`)).toEqual([' a', '-b', '+B', ' c']);
    expect(diff.find((l) => l.op === '-')?.oldLine).toBe(2);
    expect(diff.find((l) => l.op === '+')?.newLine).toBe(2);
  });

  it('finds inserted and deleted lines in the middle of a long text', () => {
    const old = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    const changed = [...old.slice(0, 50), 'inserted', ...old.slice(50, 120), ...old.slice(121)];
    const diff = diffLines(old.join('\n'), changed.join('\n'));
    expect(diff.filter((l) => l.op !== ' ').map((l) => `${l.op}${l.text}`)).toEqual([
      '+inserted',
      '-line 120',
    ]);
  });

  it('reports nothing for equal texts', () => {
    expect(unifiedHunks(diffLines('x\ny', 'x\ny'))).toEqual([]);
  });
});

describe('unifiedHunks', () => {
  it('numbers each hunk as unified diffs do and keeps two lines of context', () => {
    const old = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const next = ['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n');
    expect(unifiedHunks(diffLines(old, next))).toEqual([
      '@@ -3,5 +3,5 @@',
      ' 3',
      ' 4',
      '-5',
      '+five',
      ' 6',
      ' 7',
    ]);
  });
});
