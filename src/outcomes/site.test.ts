import { describe, expect, it } from 'vitest';
import { siteOf } from './site.js';

describe('siteOf', () => {
  it('prefers the configured site', () => {
    expect(siteOf({ configured: 'Y00001', issuer: 'https://ehr', fhirServer: 'https://ehr/fhir' })).toBe(
      'Y00001',
    );
  });

  it('names the site by the caller and its tenant when no site is configured', () => {
    expect(siteOf({ issuer: 'https://ehr.example', tenant: 't1' })).toBe('https://ehr.example#t1');
    expect(siteOf({ issuer: 'https://ehr.example' })).toBe('https://ehr.example');
  });

  it('falls back to the FHIR server origin and path, without credentials or query', () => {
    expect(siteOf({ fhirServer: 'https://user:secret@fhir.example.org/r4/tenant-7/?x=1#f' })).toBe(
      'https://fhir.example.org/r4/tenant-7',
    );
  });

  it('says unknown when nothing names the site', () => {
    expect(siteOf({})).toBe('unknown');
    expect(siteOf({ fhirServer: 'not a url' })).toBe('unknown');
  });
});
