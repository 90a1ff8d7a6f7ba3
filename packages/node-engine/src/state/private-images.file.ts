import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** `<data dir>/private-images.json` (mode 0600): repositories this node pulled with credentials. */
export const PRIVATE_IMAGES_FILE = 'private-images.json';

/**
 * The repositories this node once pulled with credentials, in `imageRepository` form. A launch of
 * one always asks the registry (see `mustPull`), so a requester without a login of their own never
 * runs the copy another tenant's pull left in the cache. Kept across restarts; only ever grows.
 * Writes run one after another, each to a temp file (0600) renamed over the old one.
 */
export class PrivateImageStore {
  private readonly names = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  /** `file` undefined: kept in memory only (tests of the manager). */
  private constructor(private readonly file: string | undefined) {}

  static inMemory(): PrivateImageStore {
    return new PrivateImageStore(undefined);
  }

  /** Reads the data dir's file; a missing or unreadable one starts empty. */
  static async open(dataDir: string): Promise<PrivateImageStore> {
    const store = new PrivateImageStore(path.join(dataDir, PRIVATE_IMAGES_FILE));
    try {
      const parsed = JSON.parse(await fs.readFile(store.file as string, 'utf8')) as { repositories?: unknown };
      const list = Array.isArray(parsed.repositories) ? parsed.repositories : [];
      for (const name of list) {
        if (typeof name === 'string' && name !== '') {
          store.names.add(name);
        }
      }
    } catch {
      // no file yet (or a damaged one): nothing is known private
    }
    return store;
  }

  /** The set the planner reads (`PlanOptions.privateImages`). */
  get repositories(): ReadonlySet<string> {
    return this.names;
  }

  /** Marks `repository` private; resolves once it is on disk (rejects if writing failed). */
  add(repository: string): Promise<void> {
    if (this.names.has(repository)) {
      return this.writing;
    }
    this.names.add(repository);
    const file = this.file;
    if (file === undefined) {
      return Promise.resolve();
    }
    const text = `${JSON.stringify({ repositories: [...this.names].sort() }, null, 2)}\n`;
    const next = this.writing.catch(() => undefined).then(() => writeAtomically(file, text));
    this.writing = next;
    return next;
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
  await fs.chmod(temp, 0o600);
  await fs.rename(temp, file);
}
