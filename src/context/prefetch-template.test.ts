import { describe, expect, it } from 'vitest';
import { resolvePrefetchTemplate } from './prefetch-template.js';

describe('resolvePrefetchTemplate', () => {
  const context = {
    patientId: 'pt-1',
    userId: 'Practitioner/dr-2',
    encounterId: 'enc 3',
    selections: ['MedicationRequest/a', 'MedicationRequest/b'],
  };

  it('replaces context tokens with their values', () => {
    expect(resolvePrefetchTemplate('Patient/{{context.patientId}}', context)).toBe('Patient/pt-1');
  });

  it('tolerates spaces inside the braces', () => {
    expect(resolvePrefetchTemplate('Patient/{{ context.patientId }}', context)).toBe('Patient/pt-1');
  });

  it('URL-encodes values so a context value cannot change the query', () => {
    expect(resolvePrefetchTemplate('Encounter/{{context.encounterId}}', context)).toBe('Encounter/enc%203');
  });

  it('joins a list of strings with commas', () => {
    expect(resolvePrefetchTemplate('MedicationRequest?_id={{context.selections}}', context)).toBe(
      'MedicationRequest?_id=MedicationRequest%2Fa,MedicationRequest%2Fb',
    );
  });

  it('resolves userPractitionerId from a Practitioner userId', () => {
    expect(resolvePrefetchTemplate('Practitioner/{{userPractitionerId}}', context)).toBe('Practitioner/dr-2');
  });

  it('cannot resolve userPatientId when the user is a Practitioner', () => {
    expect(resolvePrefetchTemplate('Patient/{{userPatientId}}', context)).toBeUndefined();
  });

  it('cannot resolve a token naming a missing context field', () => {
    expect(resolvePrefetchTemplate('Encounter/{{context.appointmentId}}', context)).toBeUndefined();
  });

  it('cannot resolve a nested context path, which 2.0 tokens do not allow', () => {
    expect(
      resolvePrefetchTemplate('X/{{context.draftOrders.id}}', { draftOrders: { id: 'x' } }),
    ).toBeUndefined();
  });

  it('leaves a template without tokens as it is', () => {
    expect(resolvePrefetchTemplate('Observation?code=http://loinc.org|8480-6', context)).toBe(
      'Observation?code=http://loinc.org|8480-6',
    );
  });
});
