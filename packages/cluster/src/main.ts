import { LOG_REDACTION, configFileOf } from '@canopy/schema';
import pino from 'pino';
import { startCluster } from './cluster.bootstrap';
import { ConfigError, loadClusterConfig } from './config/cluster-config';

/**
 * Process entry: `node packages/cluster/dist/main.js [--config file.yaml]`, configured by the YAML
 * file (or `CANOPY_CONFIG`) and the environment over it.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadClusterConfig(process.env, configFileOf(process.argv.slice(2), process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      // No level is known yet (LOG_LEVEL may be the bad value): a fatal line always prints.
      pino({ redact: LOG_REDACTION }).fatal({ variable: err.variable, err: err.message }, 'invalid configuration');
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, redact: LOG_REDACTION });
  const cluster = await startCluster(config, logger);
  // The operator hands the join token to nodes: printed once to the terminal, never to the JSON log.
  if (cluster.nodeTokenGenerated) {
    process.stderr.write(`canopy-cluster: generated node join token: ${cluster.nodeToken}\n`);
  }
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    cluster.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  pino().fatal({ err }, 'cluster failed to start');
  process.exit(1);
});
