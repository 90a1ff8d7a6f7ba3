#!/usr/bin/env node
import pino from 'pino';
import { loadRootConfig } from './config/root-config';
import { startRoot } from './root.bootstrap';

/** `node packages/root/dist/main.js`: the root orchestrator as its own process, configured by environment. */
async function main(): Promise<void> {
  const log = pino({ name: 'canopy', level: process.env.LOG_LEVEL ?? 'info' });
  const root = await startRoot(loadRootConfig(process.env), log);
  if (root.admin.generatedPassword !== undefined) {
    log.warn(
      { username: root.admin.username, password: root.admin.generatedPassword },
      'generated first admin password (shown once)',
    );
  }
  if (root.clusterTokenGenerated) {
    log.warn({ clusterToken: root.clusterToken }, 'generated cluster token (shown once)');
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
