/** Text made safe to put in HTML (element content or a quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * The little Markdown that card details use (bold, bullet lines, paragraphs), as HTML; everything is
 * escaped first, so no markup in the data can reach the page.
 */
export function markdownToHtml(markdown: string): string {
  const blocks = escapeHtml(markdown).split(/\n{2,}/);
  return blocks
    .map((block) => {
      const lines = block.split('\n');
      const inline = (s: string) => s.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
      if (lines.every((l) => l.startsWith('- ')))
        return `<ul>${lines.map((l) => `<li>${inline(l.slice(2))}</li>`).join('')}</ul>`;
      return `<p>${lines.map(inline).join('<br>')}</p>`;
    })
    .join('');
}

/** A percentage with one decimal, or an en dash. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : `${(value * 100).toFixed(1)}%`;
}
