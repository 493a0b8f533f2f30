import { h } from './element.js';
import { renderMarkdownLite } from './markdown-lite.js';

/** A CDS Hooks 2.0 card, as the service returns it. */
export interface CdsCard {
  uuid?: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; topic?: { code?: string; display?: string } };
  suggestions?: Array<{
    label: string;
    uuid?: string;
    isRecommended?: boolean;
    actions?: Array<{ type: string; description: string }>;
  }>;
  selectionBehavior?: string;
  overrideReasons?: Array<{ code: string; display?: string }>;
  links?: Array<{ label: string; url: string; type: string }>;
}

const INDICATOR_TEXT = { info: 'Information', warning: 'Warning', critical: 'Critical' } as const;

/**
 * A card drawn the way EHRs and the CDS Hooks sandbox draw them: the indicator (as a word, not only a
 * colour), the summary, the detail (Markdown), the source, suggestions with their actions, links, and the
 * reasons a clinician could give to override it. Nothing here acts: it is a preview.
 */
export function cardView(card: CdsCard): HTMLElement {
  const detail = h('div', { class: 'card-detail' });
  detail.innerHTML = renderMarkdownLite(card.detail ?? ''); // escaped by the renderer
  return h(
    'article',
    { class: `cds-card indicator-${card.indicator}`, 'data-card-uuid': card.uuid },
    h('p', { class: 'card-indicator' }, INDICATOR_TEXT[card.indicator] ?? card.indicator),
    h('h3', { class: 'card-summary' }, card.summary),
    card.detail === undefined ? null : detail,
    h(
      'p',
      { class: 'card-source' },
      'Source: ',
      card.source.url === undefined
        ? card.source.label
        : h('a', { href: card.source.url, rel: 'noopener noreferrer', target: '_blank' }, card.source.label),
      card.source.topic?.code === undefined
        ? null
        : h('span', { class: 'hint' }, ` (${card.source.topic.code})`),
    ),
    (card.suggestions ?? []).length === 0
      ? null
      : h(
          'div',
          { class: 'card-suggestions' },
          h(
            'p',
            { class: 'card-label' },
            card.selectionBehavior === 'at-most-one' ? 'Suggestions (choose one):' : 'Suggestions:',
          ),
          h(
            'ul',
            {},
            (card.suggestions ?? []).map((s) =>
              h(
                'li',
                { class: 'suggestion' },
                h('strong', {}, s.label),
                s.isRecommended === true ? h('span', { class: 'badge' }, 'recommended') : null,
                (s.actions ?? []).length === 0
                  ? null
                  : h(
                      'ul',
                      {},
                      (s.actions ?? []).map((a) => h('li', {}, `${a.type}: ${a.description}`)),
                    ),
              ),
            ),
          ),
        ),
    (card.links ?? []).length === 0
      ? null
      : h(
          'ul',
          { class: 'card-links' },
          (card.links ?? []).map((l) =>
            h('li', {}, h('a', { href: l.url, rel: 'noopener noreferrer', target: '_blank' }, l.label)),
          ),
        ),
    (card.overrideReasons ?? []).length === 0
      ? null
      : h(
          'details',
          { class: 'card-overrides' },
          h('summary', {}, 'Override reasons offered'),
          h(
            'ul',
            {},
            (card.overrideReasons ?? []).map((r) => h('li', {}, r.display ?? r.code)),
          ),
        ),
  );
}
