#!/usr/bin/env node
import { ConfigError, LOG_REDACTION, configFileOf } from '@canopy/schema';
import pino from 'pino';
import { loadRootConfig } from './config/root-config';
import { startRoot } from './root.bootstrap';

/**
 * `node packages/root/dist/main.js [--config root.yaml]`: the root orchestrator as its own process,
 * configured by the YAML file (or `CANOPY_CONFIG`) and the environment over it.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadRootConfig(process.env, configFileOf(process.argv.slice(2), process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      // No level is known yet (LOG_LEVEL may be the bad value): a fatal line always prints.
      pino({ name: 'canopy' }).fatal({ variable: err.variable, err: err.message }, 'invalid configuration');
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ name: 'canopy', level: config.logLevel, redact: LOG_REDACTION });
  const root = await startRoot(config, log);
  // Generated secrets go to the operator's terminal once, as plain text on stderr, never into the
  // JSON log (which is shipped and kept): the log line only says where to look.
  if (root.admin.generatedPassword !== undefined) {
    process.stderr.write(
      `canopy: generated first admin password for ${root.admin.username}: ${root.admin.generatedPassword}\n` +
        '        (shown only once; set CANOPY_ADMIN_PASSWORD to reset it)\n',
    );
    log.warn({ username: root.admin.username }, 'generated first admin password (printed once to stderr)');
  }
  if (root.clusterTokenGenerated) {
    process.stderr.write(
      `canopy: generated cluster token: ${root.clusterToken}\n` +
        '        (shown only once; good only with CANOPY_ALLOW_SHARED_CLUSTER_TOKEN=true, else register\n' +
        '        each cluster with POST /api/clusters and give it its own credential)\n',
    );
    log.warn('generated cluster token (printed once to stderr)');
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    root.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  pino({ name: 'canopy' }).fatal({ err: error }, 'root failed to start');
  process.exit(1);
});
