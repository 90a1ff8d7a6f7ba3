import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile, SecretBox } from '@canopy/nest-edge';
import type { InstanceSpecDto, InstanceStatus } from '@canopy/schema';
import { ClusterRepository, type InstanceRecord, type NodeRecord, type ObservedState } from './cluster.repository';

interface NodeRow {
  id: string;
  name: string;
  arch: string;
  cpu_cores: number;
  memory_mb: number;
  gpus: number;
  public_ip: string | null;
  labels_json: string;
  location: string | null;
  ie_id: string | null;
  password_sha256: string;
  credential_sha256: string | null;
  attempt_sha256: string | null;
  registered_at: number;
}

interface InstanceRow {
  spec_json: string;
  node_id: string | null;
  status: string;
  observed_json: string;
  deleting: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  arch TEXT NOT NULL,
  cpu_cores INTEGER NOT NULL,
  memory_mb INTEGER NOT NULL,
  gpus INTEGER NOT NULL,
  public_ip TEXT,
  labels_json TEXT NOT NULL,
  location TEXT,
  ie_id TEXT,
  password_sha256 TEXT NOT NULL,
  credential_sha256 TEXT,
  attempt_sha256 TEXT,
  registered_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS instances (
  service_id TEXT NOT NULL,
  instance_number INTEGER NOT NULL,
  spec_json TEXT NOT NULL,
  node_id TEXT,
  status TEXT NOT NULL,
  observed_json TEXT NOT NULL,
  deleting INTEGER NOT NULL,
  PRIMARY KEY (service_id, instance_number)
);
`;

/** `cluster.db` in the data directory, through better-sqlite3 (synchronous, so callers never interleave). */
export class SqliteClusterRepository extends ClusterRepository {
  private readonly db: Database.Database;
  /** Seals registry passwords in stored specs; its key is `store-key` (0600) beside the database. */
  private readonly box: SecretBox;

  constructor(dataDir: string) {
    super();
    ensurePrivateDir(dataDir);
    this.box = new SecretBox(storeKey(dataDir));
    const file = join(dataDir, 'cluster.db');
    ensurePrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    this.migrate();
  }

  /** Columns added after the first release; `CREATE TABLE IF NOT EXISTS` leaves older files without them. */
  private migrate(): void {
    const columns = new Set(
      (this.db.prepare('PRAGMA table_info(nodes)').all() as { name: string }[]).map((c) => c.name),
    );
    if (!columns.has('ie_id')) {
      this.db.exec('ALTER TABLE nodes ADD COLUMN ie_id TEXT');
    }
    if (!columns.has('credential_sha256')) {
      this.db.exec('ALTER TABLE nodes ADD COLUMN credential_sha256 TEXT');
    }
    if (!columns.has('attempt_sha256')) {
      this.db.exec('ALTER TABLE nodes ADD COLUMN attempt_sha256 TEXT');
    }
  }

  listNodes(): NodeRecord[] {
    const rows = this.db.prepare('SELECT * FROM nodes ORDER BY registered_at').all() as NodeRow[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      arch: r.arch,
      cpuCores: r.cpu_cores,
      memoryMb: r.memory_mb,
      gpus: r.gpus,
      publicIp: r.public_ip ?? undefined,
      labels: JSON.parse(r.labels_json) as Record<string, string>,
      location: r.location ?? undefined,
      ieId: r.ie_id ?? undefined,
      passwordSha256: r.password_sha256,
      credentialSha256: r.credential_sha256 ?? undefined,
      attemptSha256: r.attempt_sha256 ?? undefined,
      registeredAt: r.registered_at,
    }));
  }

  saveNode(n: NodeRecord): void {
    this.db
      .prepare(
        `INSERT INTO nodes (id, name, arch, cpu_cores, memory_mb, gpus, public_ip, labels_json, location, ie_id, password_sha256, credential_sha256, attempt_sha256, registered_at)
         VALUES (@id, @name, @arch, @cpuCores, @memoryMb, @gpus, @publicIp, @labels, @location, @ieId, @passwordSha256, @credentialSha256, @attemptSha256, @registeredAt)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, arch = excluded.arch, cpu_cores = excluded.cpu_cores,
           memory_mb = excluded.memory_mb, gpus = excluded.gpus, public_ip = excluded.public_ip,
           labels_json = excluded.labels_json, location = excluded.location, ie_id = excluded.ie_id,
           password_sha256 = excluded.password_sha256, credential_sha256 = excluded.credential_sha256,
           attempt_sha256 = excluded.attempt_sha256, registered_at = excluded.registered_at`,
      )
      .run({
        ...n,
        publicIp: n.publicIp ?? null,
        location: n.location ?? null,
        ieId: n.ieId ?? null,
        credentialSha256: n.credentialSha256 ?? null,
        attemptSha256: n.attemptSha256 ?? null,
        labels: JSON.stringify(n.labels),
      });
  }

  listInstances(): InstanceRecord[] {
    const rows = this.db.prepare('SELECT * FROM instances').all() as InstanceRow[];
    return rows.map((r) => ({
      spec: this.withPassword(JSON.parse(r.spec_json) as InstanceSpecDto, (v) => this.box.open(v)),
      nodeId: r.node_id ?? undefined,
      status: r.status as InstanceStatus,
      observed: JSON.parse(r.observed_json) as ObservedState,
      deleting: r.deleting === 1,
    }));
  }

  saveInstance(r: InstanceRecord): void {
    this.db
      .prepare(
        `INSERT INTO instances (service_id, instance_number, spec_json, node_id, status, observed_json, deleting)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(service_id, instance_number) DO UPDATE SET spec_json = excluded.spec_json,
           node_id = excluded.node_id, status = excluded.status, observed_json = excluded.observed_json,
           deleting = excluded.deleting`,
      )
      .run(
        r.spec.serviceId,
        r.spec.instanceNumber,
        JSON.stringify(this.withPassword(r.spec, (v) => this.box.seal(v))),
        r.nodeId ?? null,
        r.status,
        JSON.stringify(r.observed),
        r.deleting ? 1 : 0,
      );
  }

  deleteInstance(serviceId: string, instanceNumber: number): void {
    this.db
      .prepare('DELETE FROM instances WHERE service_id = ? AND instance_number = ?')
      .run(serviceId, instanceNumber);
  }

  /** The spec with its registry password passed through `fn` (sealed for the file, opened for callers). */
  private withPassword(spec: InstanceSpecDto, fn: (value: string) => string): InstanceSpecDto {
    const auth = spec.registryAuth;
    return auth === undefined ? spec : { ...spec, registryAuth: { ...auth, password: fn(auth.password) } };
  }

  close(): void {
    if (this.db.open) {
      this.db.close();
    }
  }
}

/** The store key: generated once into `store-key` (mode 0600) in the data directory. */
function storeKey(dataDir: string): string {
  const file = join(dataDir, 'store-key');
  if (existsSync(file)) {
    return readFileSync(file, 'utf8').trim();
  }
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
