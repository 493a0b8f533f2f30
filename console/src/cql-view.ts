import { highlightCql } from './cql-highlight.js';
import { h } from './element.js';

/** CQL with syntax colours and line numbers, in a focusable scroll region. */
export function cqlView(source: string, label: string): HTMLElement {
  const code = h('code', { class: 'cql' });
  // highlightCql escapes every character of the source; only its own spans are markup.
  code.innerHTML = highlightCql(source.replace(/\n$/, ''));
  const lines = source.replace(/\n$/, '').split('\n').length;
  const gutter = h(
    'span',
    { class: 'gutter', 'aria-hidden': 'true' },
    Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join(''),
  );
  return h(
    'div',
    { class: 'code-block scroll', tabindex: 0, role: 'region', 'aria-label': label },
    h('pre', {}, gutter, code),
  );
}

/** Unified-diff hunks (lines starting with +, - or space; @@ headers) with colours and highlighting. */
export function diffView(hunks: readonly string[], label: string): HTMLElement {
  const pre = h('pre', { class: 'diff' });
  for (const hunk of hunks) {
    for (const line of hunk.split('\n')) {
      if (line === '') continue;
      const kind = line.startsWith('@@')
        ? 'hunk'
        : line.startsWith('+')
          ? 'added'
          : line.startsWith('-')
            ? 'removed'
            : 'context';
      const span = h('span', { class: `diff-line diff-${kind}` });
      if (kind === 'hunk') span.textContent = line;
      else {
        const marker = h(
          'span',
          { class: 'diff-marker' },
          kind === 'added' ? '+' : kind === 'removed' ? '−' : ' ',
        );
        const body = h('span', {});
        body.innerHTML = highlightCql(line.slice(1));
        span.append(marker, body);
        if (kind !== 'context')
          span.append(h('span', { class: 'visually-hidden' }, kind === 'added' ? ' (added)' : ' (removed)'));
      }
      pre.append(span, '\n');
    }
  }
  return h('div', { class: 'code-block scroll', tabindex: 0, role: 'region', 'aria-label': label }, pre);
}
