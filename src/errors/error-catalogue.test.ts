import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, loopcdsError, outcomeFor } from './error-catalogue.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');

describe('the error catalogue', () => {
  it('is documented in docs/errors.md, row for row', () => {
    const rows = [...doc.matchAll(/^\| `(LOOPCDS_ERR_[A-Z_]+)` \| (\d{3}) \| ([a-z-]+) \| (.+) \|$/gm)].map(
      (m) => ({
        code: m[1],
        status: Number(m[2]),
        type: m[3],
        message: m[4],
      }),
    );
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, e]) => ({
      code,
      status: e.status,
      type: e.type,
      message: e.message,
    }));
    expect(rows).toEqual(catalogue);
  });

  it('builds an OperationOutcome that names the code, its text and the diagnostics', () => {
    expect(outcomeFor('LOOPCDS_ERR_UNKNOWN_SERVICE', 'No CDS service "x"', ['id'])).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'not-found',
          details: {
            coding: [
              {
                system: 'https://loopcds.org/fhir/CodeSystem/error-code',
                code: 'LOOPCDS_ERR_UNKNOWN_SERVICE',
              },
            ],
            text: 'No CDS service has this id.',
          },
          diagnostics: 'No CDS service "x"',
          expression: ['id'],
        },
      ],
    });
  });

  it('gives each error the status of its catalogue entry', () => {
    expect(loopcdsError('LOOPCDS_ERR_DATA_UNOBTAINABLE').status).toBe(412);
  });
});
