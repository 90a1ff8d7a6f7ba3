import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { ensureTestImage, removeContainersOfNode, waitFor } from '@canopy/testing';
import { startNodeEngine, type NodeEngineConfigInit, type NodeEngineHandle, type NodeEnginePorts } from '../../src';
import { ClusterStandIn } from './cluster-stand-in';

/**
 * One node engine under test against its cluster stand-in, with its own node id and data
 * directory: `start` boots both (and builds the test image if needed), `stop` ends them and
 * removes every container the node created.
 */
export class EngineStand {
  readonly nodeId: string;
  readonly cluster: ClusterStandIn;
  private dataDir: string | undefined;
  private engine: NodeEngineHandle | undefined;
  private config: NodeEngineConfigInit | undefined;

  constructor(private readonly name: string) {
    this.nodeId = `${name}-${process.pid}-${Date.now().toString(36)}`;
    this.cluster = new ClusterStandIn(this.nodeId);
  }

  /** Starts the engine with the stand-in's config plus `config`, and waits for its first heartbeat. */
  async start(config: Partial<NodeEngineConfigInit>, log: Logger, ports?: NodeEnginePorts): Promise<NodeEngineHandle> {
    await ensureTestImage();
    this.dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `canopy-node-${this.name}-`));
    await this.cluster.start();
    const full: NodeEngineConfigInit = { ...this.cluster.engineConfig(`${this.name}-worker`, this.dataDir), ...config };
    this.config = full;
    this.engine = await startNodeEngine(full, log, ports);
    await waitFor('a heartbeat', () => this.cluster.heartbeats()[0]);
    return this.engine;
  }

  /** The engine's data directory (its files: credential, desired state, private images). */
  get dataDirectory(): string {
    if (this.dataDir === undefined) {
      throw new Error('the stand has not started');
    }
    return this.dataDir;
  }

  /** Stops the engine and starts a new one on the same data directory, as a node restart does. */
  async restartEngine(log: Logger, ports?: NodeEnginePorts): Promise<NodeEngineHandle> {
    if (this.config === undefined) {
      throw new Error('the stand has not started');
    }
    await this.engine?.stop();
    const seen = this.cluster.heartbeats().length;
    this.engine = await startNodeEngine(this.config, log, ports);
    await waitFor('a heartbeat from the restarted engine', () => this.cluster.heartbeats(seen)[0]);
    return this.engine;
  }

  async stop(): Promise<void> {
    await this.engine?.stop();
    await removeContainersOfNode(this.nodeId);
    await this.cluster.stop();
    if (this.dataDir !== undefined) {
      await fs.rm(this.dataDir, { recursive: true, force: true });
    }
  }
}
