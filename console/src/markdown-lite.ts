import { escapeHtml } from './cql-highlight.js';

/**
 * The small part of Markdown that card details use (CDS Hooks 2.0 §Card: `detail` is GitHub Flavored
 * Markdown): paragraphs, line breaks, `-`/`*` bullet lists, **bold**, *italic*, `code` and [links](https://…).
 * Everything is escaped first and only these tags are added, so a card can never inject markup; links
 * other than http(s) stay text.
 */
export function renderMarkdownLite(markdown: string): string {
  const blocks = markdown.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  return blocks
    .map((block) => {
      const lines = block.split('\n').filter((l) => l.trim().length > 0);
      if (lines.length === 0) return '';
      if (lines.every((l) => /^\s*[-*]\s+/.test(l)))
        return `<ul>${lines.map((l) => `<li>${inline(l.replace(/^\s*[-*]\s+/, ''))}</li>`).join('')}</ul>`;
      return `<p>${lines.map(inline).join('<br>')}</p>`;
    })
    .join('');
}

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(
      /\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g,
      (_m, label: string, url: string) =>
        `<a href="${url}" rel="noopener noreferrer" target="_blank">${label}</a>`,
    );
}
