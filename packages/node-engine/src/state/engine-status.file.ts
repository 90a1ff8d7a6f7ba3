import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const ENGINE_STATUS_FILE = 'engine-status.json';

/**
 * What `node-engine status` needs to know about the running daemon. Written only when something
 * changes (start, broker connect/disconnect, stop), never on the report timer: edge workers often
 * run from SD cards.
 */
export interface EngineStatus {
  pid: number;
  nodeId: string;
  nodeName: string;
  clusterUrl: string;
  mqttConnected: boolean;
  /** ms since epoch of the last connectivity change */
  since: number;
  startedAt: number;
  /** set by a clean stop */
  stoppedAt?: number;
}

/**
 * The one writer of the status file: writes run one after another (never two renames racing on one
 * temp file), each writes a temp file, flushes it and renames it over the old one, so a reader sees
 * a whole old or a whole new file. Changes made while a write runs are folded into one next write.
 */
export class EngineStatusWriter {
  private readonly file: string;
  private latest: EngineStatus | undefined;
  private running: Promise<void> | undefined;

  constructor(
    dataDir: string,
    private readonly onError: (err: Error) => void,
  ) {
    this.file = path.join(dataDir, ENGINE_STATUS_FILE);
  }

  /** Queues `status` (a copy is taken); resolves once it, or a newer one, is on disk. */
  write(status: EngineStatus): Promise<void> {
    this.latest = { ...status };
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    for (let next = this.latest; next !== undefined; next = this.latest) {
      this.latest = undefined;
      try {
        await writeAtomically(this.file, JSON.stringify(next, null, 2));
      } catch (err) {
        this.onError(err as Error);
      }
    }
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
}

export async function readEngineStatus(dataDir: string): Promise<EngineStatus | undefined> {
  try {
    const parsed = JSON.parse(
      await fs.readFile(path.join(dataDir, ENGINE_STATUS_FILE), 'utf8'),
    ) as Partial<EngineStatus>;
    if (typeof parsed.pid !== 'number' || typeof parsed.nodeId !== 'string') {
      return undefined;
    }
    return parsed as EngineStatus;
  } catch {
    return undefined;
  }
}
