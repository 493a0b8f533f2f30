import type { Session } from './api.js';

/** What a page gets: the session, navigation, and the query string. */
export interface PageContext {
  session: Session;
  navigate: (href: string) => void;
  params: URLSearchParams;
}

/** A page: its title (the h1 and the document title), its body, and a promise settled when its data is in. */
export interface Page {
  title: string;
  body: HTMLElement;
  ready?: Promise<unknown>;
}
