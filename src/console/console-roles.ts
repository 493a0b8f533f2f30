/**
 * Console roles and what each may do (issue 7: "the console and its API use their own authentication with
 * roles; patient-identifiable data only for roles allowed to see it"). docs/console.md has the matrix as a
 * table; this file is the one place it is decided, and the client only hides what the server refuses.
 */
export const CONSOLE_ROLES = ['pharmacist', 'informatician', 'admin'] as const;

export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export function isConsoleRole(value: unknown): value is ConsoleRole {
  return typeof value === 'string' && (CONSOLE_ROLES as readonly string[]).includes(value);
}

/** The things a console user can be allowed to do. */
export const CONSOLE_PERMISSIONS = [
  /** Overview: services, activity, errors, completeness, EHR connection health (aggregates only). */
  'overview:read',
  /** Rules: artefacts, releases, changelogs, sources, CQL, test results, diffs. */
  'rules:read',
  /** Run an artefact's test cases (synthetic data; writes the test status file). */
  'rules:test',
  /** "Try it": run a service on a fixture patient or pasted FHIR data (nothing is recorded). */
  'rules:try',
  /** Learning dashboard: figures by release, site and week (aggregates, pseudonymous). */
  'learning:read',
  /** Population runs: rates, confidence intervals, deciles and trends per practice (aggregates). */
  'population:read',
  /** Start a population run. */
  'population:run',
  /** Patient-identifiable pages: action lists of patients at risk, with their evidence. */
  'population:patients',
] as const;

export type ConsolePermission = (typeof CONSOLE_PERMISSIONS)[number];

/**
 * The role matrix. Pharmacists act on patients, so they see action lists; informaticians change rules and
 * test them on synthetic or pasted data, and see population figures only in aggregate (they do not need to
 * know who the patients are to improve a rule: the data-minimisation principle of UK GDPR Art. 5(1)(c)).
 * Admins can do everything.
 */
const MATRIX: Readonly<Record<ConsoleRole, readonly ConsolePermission[]>> = {
  pharmacist: [
    'overview:read',
    'rules:read',
    'learning:read',
    'population:read',
    'population:run',
    'population:patients',
  ],
  informatician: [
    'overview:read',
    'rules:read',
    'rules:test',
    'rules:try',
    'learning:read',
    'population:read',
  ],
  admin: CONSOLE_PERMISSIONS,
};

/** Whether a role holds a permission. */
export function roleAllows(role: ConsoleRole, permission: ConsolePermission): boolean {
  return MATRIX[role].includes(permission);
}

/** Every permission of a role, in catalogue order (sent to the client so that it can hide what it may not use). */
export function permissionsOf(role: ConsoleRole): ConsolePermission[] {
  return CONSOLE_PERMISSIONS.filter((p) => MATRIX[role].includes(p));
}
