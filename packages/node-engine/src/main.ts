// First: defers modules the engine never uses at idle, before anything loads them (issue 14).
import './lazy-modules';
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { LOG_REDACTION } from '@canopy/schema/lite';
import pino from 'pino';
import { collectStatus, renderStatus } from './cli/status.command';
import {
  configFilePath,
  readConfigFile,
  resolveNodeEngineConfig,
  type NodeEngineConfig,
  type NodeEngineFlags,
} from './config/node-engine.config';
import { DockerRuntimeAdapter } from './docker/docker-runtime.adapter';
import { startNodeEngine, type NodeEngineHandle } from './engine/node-engine';
import { ConfigError, NodeEngineError } from './errors';
import { detectGpus } from './metrics/gpu-detect';
import { DesiredStateRepository } from './state/desired-state.repository';

interface CliOptions extends NodeEngineFlags {
  config?: string;
}

/**
 * Process entry: `node packages/node-engine/dist/main.js [options]`, or `... status`. With no
 * arguments it is configured by environment variables alone, exactly as before the flags existed.
 */
function buildProgram(): Command {
  const program = new Command('node-engine')
    .description('Canopy worker daemon: runs the cluster’s instances as Docker containers')
    .option('-a, --cluster-address <address>', 'cluster manager host or IP (Oakestra NodeEngine -a)')
    .option('-p, --cluster-port <port>', 'cluster manager port (Oakestra NodeEngine -p, default 10100)', parsePort)
    .option('--token <token>', 'cluster join token (NODE_TOKEN)')
    .option('--name <name>', 'stable node name (NODE_NAME)')
    .option('--data-dir <dir>', 'state directory (NODE_DATA_DIR)')
    .option('--public-ip <ip>', 'address users reach published ports on (NODE_PUBLIC_IP)')
    .option(
      '-c, --config <file>',
      'JSON or YAML config file (default /etc/canopy/node-engine.yaml or .json if present)',
    )
    .showHelpAfterError()
    // `status --data-dir x` must reach the subcommand, not the daemon's own option of that name.
    .enablePositionalOptions()
    .action(async (opts: CliOptions) => run(opts));

  program
    .command('status')
    .description('print this node’s id, cluster, connectivity and instances (no cluster needed)')
    .option('--data-dir <dir>', 'state directory (NODE_DATA_DIR)')
    .option('-c, --config <file>', 'JSON or YAML config file')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: CliOptions & { json?: boolean }) => status(opts));
  return program;
}

function parsePort(value: string): string {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new InvalidArgumentError('must be a port number');
  }
  return value;
}

function loadConfig(opts: CliOptions, requireToken: boolean): NodeEngineConfig {
  const file = configFilePath(opts.config, process.env, existsSync);
  return resolveNodeEngineConfig({
    env: process.env,
    flags: opts,
    ...(file === undefined ? {} : { file: readConfigFile(file) }),
    requireToken,
    detectedGpus: detectGpus(),
  });
}

async function run(opts: CliOptions): Promise<void> {
  // The join token and MQTT password never reach the JSON log (SPEC §9).
  let log = pino({ name: 'canopy-node-engine', redact: LOG_REDACTION });
  let handle: NodeEngineHandle | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down, containers keep running');
    const stop = handle?.stop() ?? Promise.resolve();
    stop.then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  try {
    const config = loadConfig(opts, true);
    log = log.child({}, { level: config.logLevel });
    handle = await startNodeEngine(config, log);
    log.info({ nodeId: handle.nodeId }, 'node engine started');
    if (stopping) {
      await handle.stop();
    }
  } catch (err) {
    const code = err instanceof NodeEngineError || err instanceof ConfigError ? err.code : undefined;
    log.fatal(
      { code, variable: (err as { variable?: string }).variable, err: (err as Error).message },
      'node engine failed to start',
    );
    process.exit(1);
  }
}

async function status(opts: CliOptions & { json?: boolean }): Promise<void> {
  try {
    const config = loadConfig(opts, false);
    const silent = pino({ level: 'silent' });
    const view = await collectStatus(
      config.dataDir,
      new DockerRuntimeAdapter(config.dockerSocket),
      (nodeId) => new DesiredStateRepository(config.dataDir, nodeId, silent),
      isAlive,
    );
    if (view.nodeId === undefined) {
      // Nothing to report: say where we looked, so a wrong --data-dir or config is obvious.
      process.stderr.write(
        `node-engine status: no engine state in ${config.dataDir} (no engine-status.json): ` +
          'the engine has not run with this data directory (check --data-dir / NODE_DATA_DIR / the config file)\n',
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(opts.json === true ? `${JSON.stringify(view, null, 2)}\n` : renderStatus(view));
    // 0: running; 3: the engine is stopped (what it ran is still printed, from disk and Docker).
    process.exitCode = view.engine === 'running' ? 0 : 3;
  } catch (err) {
    process.stderr.write(`node-engine status: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user (e.g. the daemon runs as root).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`node-engine: ${(err as Error).message}\n`);
    process.exit(1);
  });
