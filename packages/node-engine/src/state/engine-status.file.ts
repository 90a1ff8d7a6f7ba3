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

export async function writeEngineStatus(dataDir: string, status: EngineStatus): Promise<void> {
  const file = path.join(dataDir, ENGINE_STATUS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, JSON.stringify(status, null, 2), { mode: 0o644 });
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
