import { ApiError } from './api.js';
import { h, replaceChildren, type Child } from './element.js';

/**
 * Fills a region with what `load` makes, showing "Loading…" meanwhile (aria-busy) and the API's own
 * error text if it fails (role="alert", so that screen readers announce it).
 */
export async function fill(region: HTMLElement, load: () => Promise<Child>): Promise<void> {
  region.setAttribute('aria-busy', 'true');
  replaceChildren(region, h('p', { class: 'loading' }, 'Loading…'));
  try {
    replaceChildren(region, await load());
  } catch (error) {
    replaceChildren(region, errorMessage(error));
  } finally {
    region.removeAttribute('aria-busy');
  }
}

/** An error as the console shows it. */
export function errorMessage(error: unknown): HTMLElement {
  const text =
    error instanceof ApiError
      ? error.status === 404
        ? `Not available: ${error.message}`
        : error.message
      : error instanceof Error
        ? error.message
        : String(error);
  return h('div', { class: 'error', role: 'alert' }, text);
}
