import { describe, expect, it } from 'vitest';
import type { CdsServiceResponse } from '../../src/cards/card.js';
import { validateCdsHooksResponse, validateDiscoveryResponse } from './cds-hooks-response-validator.js';
import { REMOVE, withMember } from './hook-request-examples.js';

/** The card loopcds means to send for PINCER indicator 1 at order-sign. */
const nsaidResponse: CdsServiceResponse = {
  cards: [
    {
      uuid: '2f9c1b6e-8d4a-4e3b-9a71-5c0d2e8f4b13',
      summary: 'Ibuprofen with no gastroprotection in a 72-year-old',
      detail:
        'An NSAID without a proton pump inhibitor at 65 or over raises the risk of GI bleeding (PINCER indicator 1).',
      indicator: 'warning',
      source: {
        label: 'PINCER: NSAID without gastroprotection',
        url: 'https://www.nottingham.ac.uk/primis/pincer',
        topic: {
          system: 'https://loopcds.org/fhir/CodeSystem/topic',
          code: 'pincer-gi-bleed',
          display: 'GI bleeding risk',
        },
      },
      suggestions: [
        {
          label: 'Add omeprazole 20 mg once daily',
          uuid: '7a3e5c91-2b4d-4f60-8e19-d2c7b5a0f346',
          isRecommended: true,
          actions: [
            {
              type: 'create',
              description: 'Prescribe omeprazole 20mg gastro-resistant capsules, one daily',
              resource: { resourceType: 'MedicationRequest', status: 'draft', intent: 'order' },
            },
          ],
        },
        {
          label: 'Remove the ibuprofen order',
          uuid: 'b4d8f2a6-0c3e-4a5b-9d17-e6f1c8b2a590',
          actions: [
            {
              type: 'delete',
              description: 'Remove Ibuprofen 400mg tablets',
              resourceId: 'MedicationRequest/draft-ibuprofen-1',
            },
          ],
        },
      ],
      selectionBehavior: 'at-most-one',
      overrideReasons: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/non-adherence-reason',
          code: 'CLIN',
          display: 'Clinical reason',
        },
      ],
      links: [
        {
          label: 'NICE CKS: NSAIDs',
          url: 'https://cks.nice.org.uk/topics/nsaids-prescribing-issues/',
          type: 'absolute',
        },
        {
          label: 'Review in the medicines app',
          url: 'https://apps.example.nhs.uk/launch',
          type: 'smart',
          appContext: '{"card":"pincer-1"}',
        },
      ],
      extension: { 'org.loopcds.release': 'pincer-nsaid-gi@1.0.0' },
    },
  ],
};

const card = ['cards', 0] as const;

function violationsAfter(path: ReadonlyArray<string | number>, value: unknown): string[] {
  return validateCdsHooksResponse(withMember(nsaidResponse, path, value));
}

describe('validateCdsHooksResponse', () => {
  it('finds nothing wrong with a complete loopcds card', () => {
    expect(validateCdsHooksResponse(nsaidResponse)).toEqual([]);
  });

  it('accepts an empty cards array, the answer when there is no guidance', () => {
    expect(validateCdsHooksResponse({ cards: [] })).toEqual([]);
  });

  it('requires cards, as an array', () => {
    expect(validateCdsHooksResponse({})).toEqual(['cards is required']);
    expect(validateCdsHooksResponse({ cards: {} })).toEqual(['cards must be an array, not an object']);
    expect(validateCdsHooksResponse('[]')).toEqual(['(response) must be a JSON object, not a string']);
  });

  it('catches a 140-character summary', () => {
    expect(violationsAfter([...card, 'summary'], 'x'.repeat(140))).toEqual([
      'cards[0].summary has 140 characters; CDS Hooks 2.0 §Card Attributes requires fewer than 140',
    ]);
  });

  it('accepts a 139-character summary, counting characters rather than UTF-16 units', () => {
    expect(violationsAfter([...card, 'summary'], 'x'.repeat(139))).toEqual([]);
    expect(violationsAfter([...card, 'summary'], '💊'.repeat(139))).toEqual([]);
  });

  it('catches a missing selectionBehavior when suggestions are present', () => {
    expect(violationsAfter([...card, 'selectionBehavior'], REMOVE)).toEqual([
      'cards[0].selectionBehavior is required (CDS Hooks 2.0 §Card Attributes: MUST be provided when suggestions are present)',
    ]);
  });

  it('accepts a card without suggestions or selectionBehavior', () => {
    const body = withMember(
      withMember(nsaidResponse, [...card, 'suggestions'], REMOVE) as object,
      [...card, 'selectionBehavior'],
      REMOVE,
    );
    expect(validateCdsHooksResponse(body)).toEqual([]);
  });

  it('catches a delete without resourceId', () => {
    expect(violationsAfter([...card, 'suggestions', 1, 'actions', 0, 'resourceId'], REMOVE)).toEqual([
      'cards[0].suggestions[1].actions[0].resourceId is required (loopcds: a delete names its target; CDS Hooks 2.0 §Action says SHOULD)',
    ]);
  });

  it('catches a delete that carries the deprecated resource instead', () => {
    expect(
      violationsAfter([...card, 'suggestions', 1, 'actions', 0, 'resource'], 'draft-ibuprofen-1'),
    ).toEqual([
      'cards[0].suggestions[1].actions[0].resource must be absent on a delete (CDS Hooks 2.0 §Action: a FHIR id in resource is DEPRECATED; use resourceId)',
    ]);
  });

  it('catches a resourceId that is not a relative reference', () => {
    expect(
      violationsAfter([...card, 'suggestions', 1, 'actions', 0, 'resourceId'], 'draft-ibuprofen-1'),
    ).toHaveLength(1);
  });

  it('catches a create without a resource and an update whose resource has no id', () => {
    expect(violationsAfter([...card, 'suggestions', 0, 'actions', 0, 'resource'], REMOVE)).toEqual([
      'cards[0].suggestions[0].actions[0].resource is required (a create action carries the resource (CDS Hooks 2.0 §Action))',
    ]);
    expect(violationsAfter([...card, 'suggestions', 0, 'actions', 0, 'type'], 'update')).toEqual([
      'cards[0].suggestions[0].actions[0].resource.id is required: an update replaces an existing resource in its entirety',
    ]);
  });

  it('catches an action without a description or with an unknown type', () => {
    expect(violationsAfter([...card, 'suggestions', 0, 'actions', 0, 'description'], REMOVE)).toEqual([
      'cards[0].suggestions[0].actions[0].description is required',
    ]);
    expect(violationsAfter([...card, 'suggestions', 0, 'actions', 0, 'type'], 'replace')).toEqual([
      'cards[0].suggestions[0].actions[0].type must be one of create | update | delete, not "replace"',
    ]);
  });

  it('catches an override reason without display', () => {
    expect(violationsAfter([...card, 'overrideReasons', 0, 'display'], REMOVE)).toEqual([
      'cards[0].overrideReasons[0].display is required (CDS Hooks 2.0 §Card Attributes: override reasons MUST have a display)',
    ]);
  });

  it('catches an override reason without code or system', () => {
    expect(violationsAfter([...card, 'overrideReasons', 0, 'system'], REMOVE)).toEqual([
      'cards[0].overrideReasons[0].system is required',
    ]);
  });

  it('requires a uuid on every card and suggestion, as loopcds promises', () => {
    expect(violationsAfter([...card, 'uuid'], REMOVE)).toEqual([
      'cards[0].uuid is required (loopcds: feedback names cards by uuid)',
    ]);
    expect(violationsAfter([...card, 'suggestions', 0, 'uuid'], 'omeprazole')).toHaveLength(1);
  });

  it('catches two cards with the same uuid', () => {
    const twin = nsaidResponse.cards[0];
    expect(validateCdsHooksResponse({ cards: [twin, twin] })).toContainEqual(
      expect.stringMatching(/^cards\[1\]\.uuid repeats/),
    );
  });

  it.each([
    [['summary'], REMOVE, 'cards[0].summary is required'],
    [
      ['indicator'],
      'hard-stop',
      'cards[0].indicator must be one of info | warning | critical, not "hard-stop"',
    ],
    [['source'], REMOVE, 'cards[0].source is required'],
    [['source', 'label'], REMOVE, 'cards[0].source.label is required'],
    [
      ['source', 'url'],
      REMOVE,
      'cards[0].source.url is required (loopcds: every card links to the source of its guidance)',
    ],
    [
      ['source', 'topic'],
      REMOVE,
      'cards[0].source.topic is required (loopcds: every card has a topic, for filtering and analytics)',
    ],
    [['source', 'url'], '/pincer', 'cards[0].source.url must be an absolute http(s) URL, not "/pincer"'],
    [
      ['detail'],
      null,
      'cards[0].detail must not be null (CDS Hooks 2.0 §Use of JSON: omit an absent element)',
    ],
    [['detail'], '', 'cards[0].detail must not be empty or blank (CDS Hooks 2.0 §Use of JSON)'],
    [['links'], [], 'cards[0].links must be omitted rather than empty (CDS Hooks 2.0 §Use of JSON)'],
    [['suggestions', 0, 'label'], REMOVE, 'cards[0].suggestions[0].label is required'],
    [['selectionBehavior'], 'all', 'cards[0].selectionBehavior must be one of at-most-one | any, not "all"'],
    [
      ['links', 0, 'type'],
      'external',
      'cards[0].links[0].type must be one of absolute | smart, not "external"',
    ],
    [
      ['links', 0, 'appContext'],
      '{}',
      'cards[0].links[0].appContext is only valid on a link of type "smart" (CDS Hooks 2.0 §Link)',
    ],
    [['links', 0, 'url'], REMOVE, 'cards[0].links[0].url is required'],
    [
      ['links', 1, 'autolaunchable'],
      'yes',
      'cards[0].links[1].autolaunchable must be a boolean, not a string',
    ],
    [
      ['selection_behavior'],
      'any',
      'cards[0].selection_behavior is not defined by CDS Hooks 2.0 (put custom data under "extension")',
    ],
    [['extension'], {}, 'cards[0].extension must be a non-empty JSON object (CDS Hooks 2.0 §Extensions)'],
  ])('reports %j = %j', (path, value, violation) => {
    expect(violationsAfter([...card, ...path], value)).toEqual([violation]);
  });

  it('catches two recommended suggestions when at most one may be chosen', () => {
    expect(violationsAfter([...card, 'suggestions', 1, 'isRecommended'], true)).toEqual([
      'cards[0].suggestions recommends more than one suggestion, which needs selectionBehavior "any" (CDS Hooks 2.0 §Suggestion)',
    ]);
  });

  it('checks systemActions with the same rules as suggested actions', () => {
    const body = {
      cards: [],
      systemActions: [{ type: 'delete', description: 'Remove the duplicate order' }],
    };
    expect(validateCdsHooksResponse(body)).toEqual([
      'systemActions[0].resourceId is required (loopcds: a delete names its target; CDS Hooks 2.0 §Action says SHOULD)',
    ]);
    expect(validateCdsHooksResponse({ cards: [], systemActions: [] })).toEqual([
      'systemActions must be omitted rather than empty (CDS Hooks 2.0 §Use of JSON)',
    ]);
  });
});

describe('validateDiscoveryResponse', () => {
  const discovery = {
    services: [
      {
        hook: 'order-sign',
        title: 'PINCER prescribing safety',
        description: 'Warns of hazardous prescribing as an order is signed (PINCER indicators).',
        id: 'pincer-order-sign',
        prefetch: {
          patient: 'Patient/{{context.patientId}}',
          medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
          user: 'PractitionerRole?_id={{userPractitionerRoleId}}',
        },
      },
      {
        hook: 'patient-view',
        description: 'Lists PINCER hazards when a record is opened.',
        id: 'pincer-order-sign',
      },
    ],
  };

  it('finds nothing wrong with a valid discovery response, including one id on two hooks', () => {
    expect(validateDiscoveryResponse(discovery)).toEqual([]);
  });

  it('accepts a server with no services', () => {
    expect(validateDiscoveryResponse({ services: [] })).toEqual([]);
    expect(validateDiscoveryResponse({})).toEqual(['services is required']);
  });

  it.each(['hook', 'id', 'description'])('requires %s on each service', (member) => {
    expect(validateDiscoveryResponse(withMember(discovery, ['services', 0, member], REMOVE))).toEqual([
      `services[0].${member} is required`,
    ]);
  });

  it('treats title and usageRequirements as optional strings', () => {
    expect(validateDiscoveryResponse(withMember(discovery, ['services', 0, 'title'], REMOVE))).toEqual([]);
    expect(validateDiscoveryResponse(withMember(discovery, ['services', 0, 'usageRequirements'], 7))).toEqual(
      ['services[0].usageRequirements must be a string, not a number'],
    );
  });

  it.each([
    [
      ['prefetch', 'patient'],
      { resourceType: 'Patient' },
      'services[0].prefetch.patient must be a string, not an object',
    ],
    [['prefetch'], {}, 'services[0].prefetch must be omitted rather than empty (CDS Hooks 2.0 §Use of JSON)'],
    [
      ['prefetch', 'patient'],
      'Patient/{{context.patient.id}}',
      'services[0].prefetch.patient has the token {{context.patient.id}}, which is neither context.<field> nor a user token',
    ],
    [
      ['prefetch', 'orders'],
      'MedicationRequest?_id={{context.draftOrders}}',
      'services[0].prefetch.orders has the token {{context.draftOrders}}, but order-sign does not offer context.draftOrders as a prefetch token',
    ],
    [
      ['prefetch', 'patient'],
      'Patient/{{context.patientId}',
      'services[0].prefetch.patient has an unbalanced {{ or }}',
    ],
    [
      ['id'],
      'pincer/order-sign',
      'services[0].id must be usable as one URL path segment, not "pincer/order-sign"',
    ],
  ])('reports %j = %j', (path, value, violation) => {
    expect(validateDiscoveryResponse(withMember(discovery, ['services', 0, ...path], value))).toEqual([
      violation,
    ]);
  });

  it('catches the same id offered twice for the same hook', () => {
    expect(validateDiscoveryResponse(withMember(discovery, ['services', 1, 'hook'], 'order-sign'))).toEqual([
      'services[1] repeats the service pincer-order-sign for order-sign',
    ]);
  });
});
