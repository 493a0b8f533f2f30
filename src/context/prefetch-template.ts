/**
 * Prefetch template tokens, CDS Hooks 2.0 §Prefetch tokens: `{{context.<field>}}` for a context field
 * whose value is a string (or a list of strings, joined with commas), and the user tokens
 * `{{userPractitionerId}}`, `{{userPractitionerRoleId}}`, `{{userPatientId}}`, `{{userRelatedPersonId}}`
 * derived from `context.userId`. A template with a token that cannot be resolved yields `undefined`:
 * its key cannot be fetched.
 */
const TOKEN = /\{\{\s*([A-Za-z][A-Za-z0-9.]*)\s*\}\}/g;

const USER_TOKENS: Record<string, string> = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
};

export function resolvePrefetchTemplate(
  template: string,
  context: Readonly<Record<string, unknown>>,
): string | undefined {
  let unresolved = false;
  const resolved = template.replace(TOKEN, (_match, token: string) => {
    const value = tokenValue(token, context);
    if (value === undefined) {
      unresolved = true;
      return '';
    }
    return value;
  });
  return unresolved ? undefined : resolved;
}

function tokenValue(token: string, context: Readonly<Record<string, unknown>>): string | undefined {
  const userType = USER_TOKENS[token];
  if (userType !== undefined) {
    const userId = context['userId'];
    if (typeof userId !== 'string') return undefined;
    const [type, id] = userId.split('/');
    return type === userType && id !== undefined && id !== '' ? encodeURIComponent(id) : undefined;
  }
  if (!token.startsWith('context.')) return undefined;
  const field = token.slice('context.'.length);
  if (field.includes('.')) return undefined; // 2.0 tokens name first-level context fields only
  const value = context[field];
  if (typeof value === 'string' && value !== '') return encodeURIComponent(value);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return value.map((v: string) => encodeURIComponent(v)).join(',');
  }
  return undefined;
}
