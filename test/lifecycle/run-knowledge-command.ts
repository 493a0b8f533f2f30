import { knowledgeCommandContext, runKnowledgeCommand } from '../../src/cli/knowledge-commands.js';
import { loadConfig } from '../../src/config/config.js';
import { ROOT } from '../support/test-service.js';

/** Where a knowledge command looks: a temporary knowledge folder, or the repository's. */
export interface CommandLocations {
  knowledgeDir: string;
  elmCacheDir: string;
  valueSetDir: string;
  servicesDir: string;
  baseDir: string;
}

/** Runs `loopcds knowledge …` in process, capturing what it prints and its exit code. */
export async function loopcdsKnowledge(
  where: CommandLocations,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const config = loadConfig({
    root: ROOT,
    overrides: {
      knowledgeDir: where.knowledgeDir,
      elmCacheDir: where.elmCacheDir,
      valueSetDir: where.valueSetDir,
      servicesDir: where.servicesDir,
    },
  });
  const ctx = knowledgeCommandContext(config, {
    baseDir: where.baseDir,
    io: { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
  });
  const code = await runKnowledgeCommand(ctx, args);
  return { code, stdout, stderr };
}
