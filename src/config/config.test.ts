import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const root = '/srv/loopcds';

describe('loadConfig', () => {
  it('uses the defaults when the environment says nothing', () => {
    const config = loadConfig({ root, env: {} });
    expect(config.port).toBe(3000);
    expect(config.knowledgeDir).toBe(path.join(root, 'knowledge'));
    expect(config.fhirDeadlineMs).toBe(1500);
  });

  it('reads and converts environment variables', () => {
    const config = loadConfig({
      root,
      env: { PORT: '8080', LOOPCDS_FHIR_DEADLINE_MS: '900', LOOPCDS_ALLOW_EVALUATION_TIME_OVERRIDE: 'true' },
    });
    expect(config.port).toBe(8080);
    expect(config.fhirDeadlineMs).toBe(900);
    expect(config.allowEvaluationTimeOverride).toBe(true);
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({
        root,
        env: { PORT: 'eighty', LOOPCDS_FHIR_DEADLINE_MS: '10', LOOPCDS_NO_SUCH_THING: '1' },
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/LOOPCDS_NO_SUCH_THING: unknown setting/);
      expect(problems.join('\n')).toMatch(/^PORT: /m);
      expect(problems.join('\n')).toMatch(/^LOOPCDS_FHIR_DEADLINE_MS: /m);
    }
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({ root, env: { LOOPCDS_EXTRA_LIBRARY_DIRS: '/a:/b' } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.extraLibraryDirs)).toBe(true);
    expect(config.extraLibraryDirs).toEqual(['/a', '/b']);
  });

  it('documents every setting in docs/configuration.md', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8');
    const source = readFileSync(path.resolve(import.meta.dirname, 'config.ts'), 'utf8');
    const names = [...source.matchAll(/^\s+(PORT|LOOPCDS_[A-Z_]+): '/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(doc, name).toContain(`\`${name}\``);
  });
});
