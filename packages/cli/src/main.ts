#!/usr/bin/env node
import { Command } from 'commander';
import pino from 'pino';
import { registerCommands } from './commands/index';
import { EMBEDDED_TRUSTED, startEmbedded } from './embedded';

/** Output for the person at the terminal; logs go to stderr as JSON. */
function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

const program = new Command();
program.name('canopy').description('Canopy: a hierarchical container orchestrator for the edge-cloud continuum');

program
  .command('up')
  .description('start root + one cluster + one node engine in one process (embedded mode)')
  .option(
    '-d, --data-dir <dir>',
    'where the SQLite stores and node state live',
    process.env.CANOPY_DATA_DIR ?? '.canopy',
  )
  .action(async (opts: { dataDir: string }) => {
    const log = pino({ name: 'canopy', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
    const canopy = await startEmbedded({ dataDir: opts.dataDir, env: process.env }, log);
    const { root } = canopy;
    say('');
    say(`Canopy is up (embedded mode: root + cluster + node engine, data in ${opts.dataDir})`);
    say(`  API:       ${root.url}/api   (health: ${root.url}/health)`);
    say(`  admin:     ${root.admin.username}`);
    if (root.admin.generatedPassword !== undefined) {
      say(
        `  password:  ${root.admin.generatedPassword}   (generated now and shown only once; set CANOPY_ADMIN_PASSWORD to reset it)`,
      );
    } else {
      say('  password:  from CANOPY_ADMIN_PASSWORD, or the one printed at the first start');
    }
    say(`  cluster:   port ${canopy.cluster.port}, MQTT ${canopy.cluster.mqttPort}; node ${canopy.node.nodeId}`);
    say(
      `  aerOS:     LLO API ${root.url}/v1/service-components, HLO ${root.url}/hlo_al, kubectl --server ${root.url}/k8s`,
    );
    say(`             IEs: ${root.url}/api/infrastructure-elements`);
    if ((process.env.AEROS_TRUSTED_NETWORKS ?? EMBEDDED_TRUSTED) !== '') {
      say(
        `             requests from this machine act as the aerOS service account on those routes (AEROS_TRUSTED_NETWORKS= turns it off)`,
      );
    }
    say('Press Ctrl+C to stop (containers keep running and are re-adopted at the next start).');
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        return;
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      canopy.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

registerCommands(program);
program.showHelpAfterError('(run canopy --help, or canopy <command> --help)');

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`canopy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
