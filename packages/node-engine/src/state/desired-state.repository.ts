import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { InstanceSpecDto } from '@canopy/schema';
import { validateNodeInput } from '../validation/node-inputs';

const FILE_NAME = 'desired-state.json';
const FORMAT_VERSION = 1;

interface DesiredStateFile {
  version: number;
  nodeId: string;
  instances: unknown[];
}

/**
 * The node's own copy of its desired set (SPEC §2): it lets the node keep its instances while the
 * cluster is unreachable and across restarts. Written atomically (temp file + fsync + rename), so a
 * crash leaves either the old or the new file, never half of one.
 */
export class DesiredStateRepository {
  private readonly file: string;
  private writes: Promise<void> = Promise.resolve();
  private tempCounter = 0;

  constructor(
    private readonly dataDir: string,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(dataDir, FILE_NAME);
  }

  /** Entries that fail validation are dropped with a warning; a file of another node id is ignored. */
  async load(): Promise<InstanceSpecDto[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return [];
      }
      throw err;
    }
    let parsed: Partial<DesiredStateFile>;
    try {
      parsed = JSON.parse(text) as Partial<DesiredStateFile>;
    } catch {
      this.log.warn({ file: this.file }, 'desired state file is not JSON, starting empty');
      return [];
    }
    if (parsed.nodeId !== this.nodeId) {
      this.log.warn(
        { file: this.file, fileNodeId: parsed.nodeId, nodeId: this.nodeId },
        'desired state file belongs to another node id, ignoring it',
      );
      return [];
    }
    const specs: InstanceSpecDto[] = [];
    for (const entry of Array.isArray(parsed.instances) ? parsed.instances : []) {
      const result = validateNodeInput('InstanceSpecDto', entry);
      if (result.ok) {
        specs.push(result.value);
      } else {
        this.log.warn({ file: this.file, errors: result.errors }, 'invalid desired state entry dropped');
      }
    }
    return specs;
  }

  /** Writes are serialised; each one replaces the whole set. */
  save(instances: readonly InstanceSpecDto[]): Promise<void> {
    const snapshot: DesiredStateFile = { version: FORMAT_VERSION, nodeId: this.nodeId, instances: [...instances] };
    const next = this.writes.then(() => this.writeAtomically(JSON.stringify(snapshot, null, 2)));
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every write queued so far has landed. */
  flush(): Promise<void> {
    return this.writes;
  }

  private async writeAtomically(content: string): Promise<void> {
    await fs.mkdir(this.dataDir, { recursive: true });
    const temp = `${this.file}.${process.pid}.${++this.tempCounter}.tmp`;
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, this.file);
  }
}
