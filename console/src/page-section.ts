import { h, uniqueId } from './element.js';

/** A section with a heading that labels it. */
export function section(title: string, content: HTMLElement): HTMLElement {
  const id = uniqueId('section');
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), content);
}

/** A term and its description, for a `<dl>`. */
export function fact(term: string, value: string | HTMLElement): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}
