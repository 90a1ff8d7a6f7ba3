import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_STATUS_FILE, EngineStatusWriter, readEngineStatus, type EngineStatus } from './engine-status.file';

describe('EngineStatusWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-status-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const status = (since: number): EngineStatus => ({
    pid: 1,
    nodeId: 'n1',
    nodeName: 'node',
    clusterUrl: 'http://127.0.0.1:1',
    mqttConnected: since % 2 === 0,
    since,
    startedAt: 0,
  });

  it('writes one after another: after a burst of writes the file holds the last, whole, and no temp file is left', async () => {
    const errors: Error[] = [];
    const writer = new EngineStatusWriter(dir, (e) => errors.push(e));
    const writes = Array.from({ length: 50 }, (_, i) => writer.write(status(i)));
    await Promise.all(writes);
    expect(errors).toEqual([]);
    expect(await readEngineStatus(dir)).toEqual(status(49));
    expect(readdirSync(dir)).toEqual([ENGINE_STATUS_FILE]);
  });

  it('takes a copy: a change made after write() is not what a pending write puts on disk unless written again', async () => {
    const writer = new EngineStatusWriter(dir, () => undefined);
    const s = status(1);
    const done = writer.write(s);
    s.since = 99;
    await done;
    expect((await readEngineStatus(dir))?.since).toBe(1);
  });
});
