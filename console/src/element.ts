/** Attributes of {@link h}: strings and numbers become attributes, `on*` functions become listeners. */
export type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

/** A child of {@link h}: a node, text (always inserted as text, never as HTML), or nothing. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/**
 * Builds a DOM element. Text is always a text node, so data from the API can never become markup; the
 * only HTML the console inserts comes from its own escaping renderers (cql-highlight.ts, markdown-lite.ts).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Appends children (flattening lists, skipping empty ones). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else if (child instanceof Node) parent.appendChild(child);
    else
      parent.appendChild(
        document.createTextNode(typeof child === 'number' ? String(child) : (child as string)),
      );
  }
}

/** Replaces everything inside a node. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A unique id for label/aria references. */
let counter = 0;
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}
