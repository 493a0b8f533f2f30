/**
 * Converts a cql-execution result (DateTime, Quantity, Code, Interval, FHIR objects, tuples, lists) to
 * plain JSON values, so that cards, the outcome store and tests see data, not engine classes.
 */
export function toPlainValue(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return typeof value === 'function' ? null : value;
  if (depth > 20) return null; // results are trees; a deeper one is a cycle or an engine internal
  if (Array.isArray(value)) return value.map((v) => toPlainValue(v, depth + 1));
  const v = value as Record<string, unknown> & { toString(): string };
  if (v.isDateTime === true || v.isDate === true || v.isTime === true) return v.toString();
  if (v.isQuantity === true) return { value: v.value, unit: v.unit };
  if (v.isRatio === true)
    return {
      numerator: toPlainValue(v.numerator, depth + 1),
      denominator: toPlainValue(v.denominator, depth + 1),
    };
  if (v.isCode === true)
    return dropUndefined({ system: v.system, code: v.code, display: v.display, version: v.version });
  if (v.isConcept === true)
    return dropUndefined({ codes: toPlainValue(v.codes, depth + 1), display: v.display });
  if (v.isInterval === true) {
    return {
      low: toPlainValue(v.low, depth + 1),
      high: toPlainValue(v.high, depth + 1),
      lowClosed: v.lowClosed,
      highClosed: v.highClosed,
    };
  }
  if ('_json' in v && '_typeInfo' in v) return v._json; // a cql-exec-fhir FHIRObject: its source JSON
  const out: Record<string, unknown> = {};
  for (const [k, child] of Object.entries(v)) out[k] = toPlainValue(child, depth + 1);
  return out;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined && x !== null));
}
