import 'reflect-metadata';
import pino from 'pino';
import { loadNodeEngineConfig } from './config/node-engine.config';
import { startNodeEngine, type NodeEngineHandle } from './engine/node-engine';
import { NodeEngineError } from './errors';

/** Process entry: `node packages/node-engine/dist/main.js`, configured by environment variables. */
async function main(): Promise<void> {
  const log = pino({ name: 'canopy-node-engine' });
  let handle: NodeEngineHandle | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
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
    const config = loadNodeEngineConfig(process.env);
    handle = await startNodeEngine(config, log);
    log.info({ nodeId: handle.nodeId }, 'node engine started');
    if (stopping) await handle.stop();
  } catch (err) {
    const code = err instanceof NodeEngineError ? err.code : undefined;
    log.fatal(
      { code, variable: (err as { variable?: string }).variable, err: (err as Error).message },
      'node engine failed to start',
    );
    process.exit(1);
  }
}

void main();
