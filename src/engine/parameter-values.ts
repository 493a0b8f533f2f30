import cql from 'cql-execution';

/** A CQL parameter value as JSON: a number, string or boolean, or a quantity `{ value, unit }`. */
export type ParameterJson = number | string | boolean | { value: number; unit: string };

/**
 * Converts parameter values from JSON (artefact metadata, service definitions) to the engine's types:
 * `{ value, unit }` becomes a CQL Quantity (e.g. `{ "value": 1, "unit": "hour" }` for a look-back),
 * everything else passes through. cql-execution checks each value against the parameter's declared type.
 */
export function toCqlParameters(values: Readonly<Record<string, ParameterJson>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    out[name] = typeof value === 'object' ? new cql.Quantity(value.value, value.unit) : value;
  }
  return out;
}
