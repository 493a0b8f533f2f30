import { describe, expect, it } from 'vitest';
import {
  appointmentBookRequest,
  encounterStartRequest,
  hookRequestExamples,
  ibuprofenDraft,
  orderSelectRequest,
  orderSignRequest,
  patientViewRequest,
  REMOVE,
  withMember,
} from '../../test/support/hook-request-examples.js';
import {
  formatIssuePath,
  HOOK_NAMES,
  parseHookRequest,
  WIRE_LIMITS,
  type HookName,
} from './cds-hooks-request-schema.js';

/** The issues of a request that must fail, as `path: message` lines. */
function issuesOf(body: unknown, hook: string): string[] {
  const result = parseHookRequest(body, hook);
  if (result.ok) throw new Error('expected the request to be rejected');
  return result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

function pathsOf(body: unknown, hook: string): string[] {
  const result = parseHookRequest(body, hook);
  if (result.ok) throw new Error('expected the request to be rejected');
  return result.issues.map((issue) => issue.path);
}

describe('parseHookRequest', () => {
  it.each(HOOK_NAMES)('accepts the example %s request', (hook) => {
    const result = parseHookRequest(hookRequestExamples[hook], hook);
    expect(result).toEqual({ ok: true, request: hookRequestExamples[hook] });
  });

  it('accepts a request without any prefetch', () => {
    expect(parseHookRequest(withMember(orderSignRequest, ['prefetch'], REMOVE), 'order-sign').ok).toBe(true);
    expect(parseHookRequest(encounterStartRequest, 'encounter-start').ok).toBe(true);
  });

  it('accepts null prefetch values, which mean the client has no data for that template', () => {
    const result = parseHookRequest(
      withMember(patientViewRequest, ['prefetch', 'lastEgfr'], null),
      'patient-view',
    );
    expect(result.ok && result.request.prefetch).toEqual({
      patient: patientViewRequest.prefetch?.['patient'],
      lastEgfr: null,
    });
  });

  it('accepts an OperationOutcome as a prefetch value, which reports a failed prefetch', () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    expect(
      parseHookRequest(withMember(patientViewRequest, ['prefetch', 'conditions'], outcome), 'patient-view')
        .ok,
    ).toBe(true);
  });

  it('keeps unknown top-level members and the extension object', () => {
    const body = {
      ...encounterStartRequest,
      extension: { 'com.example.timestamp': '2017-11-27T22:13:25Z' },
      'org.example.flag': true,
    };
    const result = parseHookRequest(body, 'encounter-start');
    expect(result.ok && result.request).toMatchObject({
      extension: { 'com.example.timestamp': '2017-11-27T22:13:25Z' },
      'org.example.flag': true,
    });
  });

  it('accepts a context member a later minor hook version may add', () => {
    expect(
      parseHookRequest(
        withMember(patientViewRequest, ['context', 'org.example.tab'], 'summary'),
        'patient-view',
      ).ok,
    ).toBe(true);
  });

  it.each(['hook', 'hookInstance', 'context'])('rejects a request without %s and names it', (member) => {
    expect(issuesOf(withMember(patientViewRequest, [member], REMOVE), 'patient-view')).toContain(
      `${member}: is required`,
    );
  });

  const requiredContextFields: Array<[HookName, string]> = [
    ['patient-view', 'userId'],
    ['patient-view', 'patientId'],
    ['order-select', 'userId'],
    ['order-select', 'patientId'],
    ['order-select', 'selections'],
    ['order-select', 'draftOrders'],
    ['order-sign', 'userId'],
    ['order-sign', 'patientId'],
    ['order-sign', 'draftOrders'],
    ['encounter-start', 'userId'],
    ['encounter-start', 'patientId'],
    ['encounter-start', 'encounterId'],
    ['appointment-book', 'userId'],
    ['appointment-book', 'patientId'],
    ['appointment-book', 'appointments'],
  ];
  it.each(requiredContextFields)('rejects a %s request without context.%s and names it', (hook, field) => {
    const result = parseHookRequest(withMember(hookRequestExamples[hook], ['context', field], REMOVE), hook);
    expect(result).toMatchObject({ ok: false, stage: 'context' });
    expect(issuesOf(withMember(hookRequestExamples[hook], ['context', field], REMOVE), hook)).toContain(
      `context.${field}: is required`,
    );
  });

  it.each(['patient-view', 'order-select', 'order-sign', 'appointment-book'] as const)(
    'accepts a %s request without the optional encounterId',
    (hook) => {
      expect(
        parseHookRequest(withMember(hookRequestExamples[hook], ['context', 'encounterId'], REMOVE), hook).ok,
      ).toBe(true);
    },
  );

  it('rejects a request for another hook than the service answers', () => {
    const result = parseHookRequest(patientViewRequest, 'order-sign');
    expect(result).toMatchObject({ ok: false, stage: 'hook', issues: [{ path: 'hook' }] });
  });

  it('throws when asked for a hook it has no schema for, a configuration error', () => {
    expect(() => parseHookRequest(patientViewRequest, 'medication-prescribe')).toThrow(/no context schema/);
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, 'patient-view', 42, [patientViewRequest]]) {
      expect(parseHookRequest(body, 'patient-view')).toMatchObject({ ok: false, stage: 'envelope' });
    }
  });

  it('reports envelope and context issues together', () => {
    const body = withMember(
      withMember(orderSignRequest, ['hookInstance'], 'not-a-uuid') as object,
      ['context', 'patientId'],
      REMOVE,
    );
    expect(pathsOf(body, 'order-sign')).toEqual(['hookInstance', 'context.patientId']);
  });

  describe('hookInstance', () => {
    it.each([
      '',
      'd1577c69dfbe44adba6d3e05e953b2ea',
      'urn:uuid:d1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
      'd1577c69-dfbe-44ad-ba6d-3e05e953b2eg',
    ])('rejects the hookInstance "%s", which is not a UUID', (hookInstance) => {
      expect(pathsOf(withMember(patientViewRequest, ['hookInstance'], hookInstance), 'patient-view')).toEqual(
        ['hookInstance'],
      );
    });

    it('accepts an upper-case UUID', () => {
      expect(
        parseHookRequest(
          withMember(patientViewRequest, ['hookInstance'], 'D1577C69-DFBE-44AD-BA6D-3E05E953B2EA'),
          'patient-view',
        ).ok,
      ).toBe(true);
    });
  });

  describe('fhirServer and fhirAuthorization', () => {
    it('rejects fhirAuthorization without fhirServer', () => {
      expect(issuesOf(withMember(patientViewRequest, ['fhirServer'], REMOVE), 'patient-view')).toEqual([
        'fhirServer: is required when fhirAuthorization is present',
      ]);
    });

    it('accepts fhirServer without fhirAuthorization', () => {
      expect(
        parseHookRequest(withMember(patientViewRequest, ['fhirAuthorization'], REMOVE), 'patient-view').ok,
      ).toBe(true);
    });

    it.each(['access_token', 'token_type', 'expires_in', 'scope', 'subject'])(
      'rejects fhirAuthorization without %s',
      (member) => {
        expect(
          issuesOf(withMember(patientViewRequest, ['fhirAuthorization', member], REMOVE), 'patient-view'),
        ).toEqual([`fhirAuthorization.${member}: is required`]);
      },
    );

    it('accepts the optional patient of a patient-scoped token', () => {
      expect(
        parseHookRequest(
          withMember(patientViewRequest, ['fhirAuthorization', 'patient'], 'pat-7fd3a1'),
          'patient-view',
        ).ok,
      ).toBe(true);
    });

    it.each([
      ['token_type', 'MAC'],
      ['expires_in', '300'],
      ['expires_in', 300.5],
      ['expires_in', -1],
      ['access_token', ''],
      ['scope', '   '],
      ['patient', 'Patient/pat-7fd3a1'],
    ])('rejects fhirAuthorization.%s = %j', (member, value) => {
      expect(
        pathsOf(withMember(patientViewRequest, ['fhirAuthorization', member], value), 'patient-view'),
      ).toEqual([`fhirAuthorization.${member}`]);
    });

    it.each([
      'ehr.example.nhs.uk/fhir',
      'ftp://ehr.example.nhs.uk/fhir',
      'https://user:secret@ehr.example.nhs.uk/fhir',
      '',
    ])('rejects the fhirServer "%s"', (fhirServer) => {
      expect(pathsOf(withMember(patientViewRequest, ['fhirServer'], fhirServer), 'patient-view')).toEqual([
        'fhirServer',
      ]);
    });
  });

  describe('type-confused values', () => {
    it.each([
      [['hookInstance'], 1234, 'hookInstance'],
      [['context'], [], 'context'],
      [['context'], 'patient-view', 'context'],
      [['prefetch'], [], 'prefetch'],
      [['prefetch', 'patient'], '123', 'prefetch.patient'],
      [['prefetch', 'patient'], { gender: 'female' }, 'prefetch.patient.resourceType'],
      [['extension'], 'com.example', 'extension'],
      [['context', 'patientId'], 1288992, 'context.patientId'],
      [['context', 'userId'], { reference: 'Practitioner/gp-4521' }, 'context.userId'],
    ])('rejects %j = %j at %s', (path, value, expected) => {
      expect(pathsOf(withMember(patientViewRequest, path, value), 'patient-view')).toEqual([expected]);
    });

    it('rejects an order-sign request whose draftOrders is not a Bundle', () => {
      expect(
        issuesOf(withMember(orderSignRequest, ['context', 'draftOrders'], ibuprofenDraft), 'order-sign'),
      ).toEqual([
        'context.draftOrders.resourceType: must be "Bundle"',
        'context.draftOrders.entry: is required',
      ]);
    });

    it('rejects a draftOrders entry without a resource and locates it', () => {
      expect(
        pathsOf(
          withMember(orderSignRequest, ['context', 'draftOrders', 'entry', 0], { fullUrl: 'urn:uuid:x' }),
          'order-sign',
        ),
      ).toEqual(['context.draftOrders.entry[0].resource']);
    });

    it('rejects a draft order without a resourceType', () => {
      expect(
        pathsOf(
          withMember(
            orderSignRequest,
            ['context', 'draftOrders', 'entry', 0, 'resource', 'resourceType'],
            REMOVE,
          ),
          'order-sign',
        ),
      ).toEqual(['context.draftOrders.entry[0].resource.resourceType']);
    });

    it('rejects a draftOrders Bundle with no entries', () => {
      expect(
        pathsOf(withMember(orderSignRequest, ['context', 'draftOrders', 'entry'], []), 'order-sign'),
      ).toEqual(['context.draftOrders.entry']);
    });

    it('rejects order-select selections given as one string', () => {
      expect(
        pathsOf(
          withMember(orderSelectRequest, ['context', 'selections'], 'MedicationRequest/draft-ibuprofen-1'),
          'order-select',
        ),
      ).toEqual(['context.selections']);
    });

    it('rejects a selection that names no entry of draftOrders', () => {
      expect(
        issuesOf(
          withMember(orderSelectRequest, ['context', 'selections', 1], 'MedicationRequest/other'),
          'order-select',
        ),
      ).toEqual([
        'context.selections[1]: names MedicationRequest/other, which is not an entry of draftOrders',
      ]);
    });

    it('rejects an appointment-book Bundle holding something other than Appointments', () => {
      expect(
        pathsOf(
          withMember(
            appointmentBookRequest,
            ['context', 'appointments', 'entry', 0, 'resource'],
            ibuprofenDraft,
          ),
          'appointment-book',
        ),
      ).toEqual(['context.appointments.entry[0].resource.resourceType']);
    });
  });

  describe('userId and ids', () => {
    it.each([
      ['patient-view', 'Patient/pat-7fd3a1'],
      ['patient-view', 'RelatedPerson/carer-1'],
      ['order-sign', 'PractitionerRole/gp-4521-role'],
      ['appointment-book', 'RelatedPerson/carer-1'],
    ] as const)('accepts a %s userId %s', (hook, userId) => {
      expect(
        parseHookRequest(withMember(hookRequestExamples[hook], ['context', 'userId'], userId), hook).ok,
      ).toBe(true);
    });

    it.each([
      ['order-sign', 'Patient/pat-7fd3a1'],
      ['order-select', 'RelatedPerson/carer-1'],
      ['encounter-start', 'Patient/pat-7fd3a1'],
      ['patient-view', 'Organization/practice-1'],
      ['patient-view', 'gp-4521'],
      ['patient-view', 'Practitioner/'],
    ] as const)('rejects a %s userId %s', (hook, userId) => {
      expect(pathsOf(withMember(hookRequestExamples[hook], ['context', 'userId'], userId), hook)).toEqual([
        'context.userId',
      ]);
    });

    it.each(['Patient/pat-7fd3a1', 'pat 7fd3a1', 'pat_7fd3a1', 'a'.repeat(65)])(
      'rejects the patientId "%s", which is not a FHIR id',
      (patientId) => {
        expect(
          pathsOf(withMember(patientViewRequest, ['context', 'patientId'], patientId), 'patient-view'),
        ).toEqual(['context.patientId']);
      },
    );

    it('accepts a 64-character FHIR id', () => {
      expect(
        parseHookRequest(
          withMember(patientViewRequest, ['context', 'patientId'], 'A-.9'.repeat(16)),
          'patient-view',
        ).ok,
      ).toBe(true);
    });
  });

  describe('null and empty members (CDS Hooks 2.0 §Use of JSON)', () => {
    it.each([['fhirServer'], ['fhirAuthorization'], ['prefetch'], ['extension']])(
      'rejects %s: null and says to omit it',
      (member) => {
        expect(issuesOf(withMember(patientViewRequest, [member], null), 'patient-view')).toContainEqual(
          expect.stringMatching(new RegExp(`^${member}: must not be null`)),
        );
      },
    );

    it('rejects encounterId: null', () => {
      expect(
        pathsOf(withMember(patientViewRequest, ['context', 'encounterId'], null), 'patient-view'),
      ).toEqual(['context.encounterId']);
    });

    it.each([['prefetch'], ['extension'], ['context']])('rejects an empty %s object', (member) => {
      expect(issuesOf(withMember(patientViewRequest, [member], {}), 'patient-view')).toContainEqual(
        `${member}: must not be an empty object (CDS Hooks 2.0 §Use of JSON)`,
      );
    });
  });

  describe('size bounds', () => {
    it(`rejects a string longer than ${WIRE_LIMITS.maxStringLength} characters`, () => {
      expect(
        pathsOf(
          withMember(patientViewRequest, ['fhirAuthorization', 'scope'], 'x'.repeat(4097)),
          'patient-view',
        ),
      ).toEqual(['fhirAuthorization.scope']);
    });

    it('rejects more than 1000 selections', () => {
      const selections = Array.from({ length: 1001 }, () => 'MedicationRequest/draft-ibuprofen-1');
      expect(
        pathsOf(withMember(orderSelectRequest, ['context', 'selections'], selections), 'order-select'),
      ).toEqual(['context.selections']);
    });

    it('rejects more than 1000 draft orders', () => {
      const entry = Array.from({ length: 1001 }, () => ({ resource: ibuprofenDraft }));
      expect(
        pathsOf(withMember(orderSignRequest, ['context', 'draftOrders', 'entry'], entry), 'order-sign'),
      ).toEqual(['context.draftOrders.entry']);
    });

    it('rejects more than 1000 prefetch keys', () => {
      const prefetch = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`key${i}`, null]));
      expect(pathsOf(withMember(patientViewRequest, ['prefetch'], prefetch), 'patient-view')).toEqual([
        'prefetch',
      ]);
    });

    it('rejects a prefetch key longer than 256 characters', () => {
      expect(
        pathsOf(withMember(patientViewRequest, ['prefetch', 'k'.repeat(257)], null), 'patient-view'),
      ).toEqual([`prefetch.${'k'.repeat(257)}`]);
    });

    it('rejects a million-entry array without reading its entries', () => {
      const entry = new Array<unknown>(1_000_000).fill({ resource: 'not a resource' });
      const started = performance.now();
      expect(
        pathsOf(
          withMember(orderSignRequest, ['context', 'draftOrders', 'entry'], REMOVE) as object,
          'order-sign',
        ),
      ).toEqual(['context.draftOrders.entry']);
      const body = {
        ...orderSignRequest,
        context: { ...orderSignRequest.context, draftOrders: { resourceType: 'Bundle', entry } },
      };
      expect(pathsOf(body, 'order-sign')).toEqual(['context.draftOrders.entry']);
      expect(performance.now() - started).toBeLessThan(500);
    });
  });
});

describe('formatIssuePath', () => {
  it('writes FHIRPath-like locations with indexes and delimited identifiers', () => {
    expect(formatIssuePath(['context', 'draftOrders', 'entry', 0, 'resource'])).toBe(
      'context.draftOrders.entry[0].resource',
    );
    expect(formatIssuePath(['prefetch', 'hemoglobin-a1c'])).toBe('prefetch.`hemoglobin-a1c`');
    expect(formatIssuePath([])).toBe('(root)');
  });
});
