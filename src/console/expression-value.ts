/** An expression's value as the console shows it: its kind, and its JSON text (cut when long). */
export interface ExpressionValue {
  kind: 'null' | 'boolean' | 'number' | 'string' | 'list' | 'object';
  /** How many items, for a list. */
  count?: number;
  text: string;
  truncated: boolean;
}

/** Longest JSON text sent per expression; a list of whole FHIR resources can be very long. */
const MAX_TEXT = 4000; // characters

/** Describes a plain CQL result value (engine/plain-value.ts) for display. */
export function describeValue(value: unknown): ExpressionValue {
  const kind: ExpressionValue['kind'] =
    value === null || value === undefined
      ? 'null'
      : Array.isArray(value)
        ? 'list'
        : typeof value === 'boolean'
          ? 'boolean'
          : typeof value === 'number'
            ? 'number'
            : typeof value === 'string'
              ? 'string'
              : 'object';
  const full = kind === 'string' ? String(value) : (JSON.stringify(value ?? null, null, 2) ?? 'null');
  const truncated = full.length > MAX_TEXT;
  return {
    kind,
    ...(Array.isArray(value) ? { count: value.length } : {}),
    text: truncated ? `${full.slice(0, MAX_TEXT)}…` : full,
    truncated,
  };
}
