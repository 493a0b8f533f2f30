import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { Deadline } from './deadline.js';
import { FhirFetchError, FhirFetcher } from './fhir-fetcher.js';

const BASE = 'https://ehr.example.org/fhir';

afterEach(() => {
  nock.cleanAll();
});

describe('FhirFetcher (the fhir-kit-client edge)', () => {
  it('sends the bearer token and merges the pages of a search', async () => {
    nock(BASE, { reqheaders: { authorization: 'Bearer t0k' } })
      .get('/MedicationRequest')
      .query({ patient: 'p1' })
      .reply(200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [{ resource: { resourceType: 'MedicationRequest', id: 'a' } }],
        link: [{ relation: 'next', url: `${BASE}/MedicationRequest?patient=p1&page=2` }],
      })
      .get('/MedicationRequest')
      .query({ patient: 'p1', page: '2' })
      .reply(200, {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [{ resource: { resourceType: 'MedicationRequest', id: 'b' } }],
      });
    const bundle = (await new FhirFetcher({ baseUrl: BASE, accessToken: 't0k' }, 5).get(
      'MedicationRequest?patient=p1',
      new Deadline(1000),
    )) as unknown as {
      entry: Array<{ resource: { id: string } }>;
    };
    expect(bundle.entry.map((e) => e.resource.id)).toEqual(['a', 'b']);
  });

  it('never follows a next link to another server, where the token would leak', async () => {
    nock(BASE)
      .get('/Observation')
      .reply(200, {
        resourceType: 'Bundle',
        entry: [],
        link: [{ relation: 'next', url: 'https://elsewhere.example.com/steal' }],
      });
    const other = nock('https://elsewhere.example.com').get('/steal').reply(200, { resourceType: 'Bundle' });
    await new FhirFetcher({ baseUrl: BASE, accessToken: 'secret' }, 5).get('Observation', new Deadline(1000));
    expect(other.isDone()).toBe(false);
  });

  it('stops after the configured number of pages', async () => {
    const scope = nock(BASE)
      .get('/Observation')
      .times(3)
      .reply(200, {
        resourceType: 'Bundle',
        entry: [{ resource: { resourceType: 'Observation' } }],
        link: [{ relation: 'next', url: `${BASE}/Observation` }],
      });
    const bundle = (await new FhirFetcher({ baseUrl: BASE }, 2).get(
      'Observation',
      new Deadline(1000),
    )) as unknown as { entry: unknown[] };
    expect(bundle.entry).toHaveLength(2);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('turns an HTTP error into a typed error that keeps the status and OperationOutcome', async () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] };
    nock(BASE).get('/Patient/p1').reply(403, outcome);
    const error = await new FhirFetcher({ baseUrl: BASE }, 1)
      .get('Patient/p1', new Deadline(1000))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirFetchError);
    expect(error).toMatchObject({ failure: 'http', status: 403, outcome });
  });

  it('reports a body that is not JSON as malformed', async () => {
    nock(BASE).get('/Patient/p1').reply(200, '<html>login</html>');
    await expect(
      new FhirFetcher({ baseUrl: BASE }, 1).get('Patient/p1', new Deadline(1000)),
    ).rejects.toMatchObject({ failure: 'malformed' });
  });

  it('reports a timeout when the deadline passes', async () => {
    nock(BASE).get('/Patient/p1').delay(500).reply(200, { resourceType: 'Patient', id: 'p1' });
    await expect(
      new FhirFetcher({ baseUrl: BASE }, 1).get('Patient/p1', new Deadline(50)),
    ).rejects.toMatchObject({ failure: 'timeout' });
  });
});
