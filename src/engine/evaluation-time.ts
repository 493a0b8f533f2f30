/**
 * The evaluation date-time handed to CQL as `Now()`: an ISO 8601 instant with the offset of the
 * configured time zone (UK clocks change between GMT and BST, and `Today()` must be the local date).
 */
export function evaluationTime(at: Date, timeZone: string): string {
  const parts = formatterFor(timeZone).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const zone = get('timeZoneName').replace(/^GMT/, '');
  const offset = zone === '' ? '+00:00' : zone.length === 3 ? `${zone}:00` : zone;
  const ms = String(at.getUTCMilliseconds()).padStart(3, '0');
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}.${ms}${offset}`;
}

/** Building an Intl.DateTimeFormat costs more than using it (every hook call asks); one per zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}
