#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config/config.js';
import { KnowledgeLoadError } from '../knowledge/knowledge-base.js';
import { mintDevToken } from '../http/auth/dev-issuer.js';
import { startServer } from '../http/server.js';
import { OutcomeSetupError } from '../outcomes/outcome-setup-error.js';
import { DB_USAGE, runDbCommand } from './db-command.js';
import { REPORT_USAGE, runReportCommand } from './report-command.js';
import { CONSOLE_USER_USAGE, runConsoleUserCommand } from './console-user-command.js';
import { projectRoot } from '../project-root.js';
import { KNOWLEDGE_USAGE, knowledgeCommandContext, runKnowledgeCommand } from './knowledge-commands.js';
import { POPULATION_USAGE, runPopulationCommand } from './population-commands.js';

const USAGE = `Usage: loopcds <command>

Commands:
  serve               run the CDS Hooks service (default)
${KNOWLEDGE_USAGE}
  token [--service ID | --aud URL] [--tenant T]
                      print a development JWT signed by the local development issuer key
  help                show this text
${DB_USAGE}
${REPORT_USAGE}
${POPULATION_USAGE}
${CONSOLE_USER_USAGE}

Settings come from LOOPCDS_* environment variables; see docs/configuration.md.`;

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const [command = 'serve'] = positionals;
  const config = loadConfig({ root: projectRoot(), env: process.env });
  switch (command) {
    case 'serve':
      return serve(config);
    case 'knowledge':
      return runKnowledgeCommand(knowledgeCommandContext(config), argv.slice(1));
    case 'token':
      return token(config, argv.slice(1));
    case 'db':
      return runDbCommand(config, argv.slice(1));
    case 'report':
      return runReportCommand(config, argv.slice(1));
    case 'search':
    case 'worker':
    case 'synth':
      return runPopulationCommand(config, command, argv.slice(1));
    case 'console-user':
      return runConsoleUserCommand(config, argv.slice(1), process);
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`Unknown command: ${command}\n${USAGE}\n`);
      return 2;
  }
}

/** `loopcds token`: a development CDS client JWT for one endpoint (aud must equal the URL called). */
async function token(config: ReturnType<typeof loadConfig>, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { service: { type: 'string' }, aud: { type: 'string' }, tenant: { type: 'string' } },
    strict: true,
  });
  const base = (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/$/, '');
  const audience =
    values.aud ?? `${base}/cds-services${values.service === undefined ? '' : `/${values.service}`}`;
  const jwt = await mintDevToken({
    dir: config.devIssuerDir,
    audience,
    ...(values.tenant === undefined ? {} : { tenant: values.tenant }),
  });
  process.stdout.write(`${jwt}\n`);
  return 0;
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<number> {
  const logger = pino({ level: config.logLevel, base: { service: 'loopcds' } });
  const running = await startServer(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing calls in flight');
      running.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof ConfigError ||
      error instanceof KnowledgeLoadError ||
      error instanceof OutcomeSetupError
    )
      process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
