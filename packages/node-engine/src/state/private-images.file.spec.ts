import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_IMAGES_FILE, PrivateImageStore } from './private-images.file';

describe('PrivateImageStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-private-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('remembers its repositories across a reopen, in a 0600 file and no temp file left', async () => {
    const store = await PrivateImageStore.open(dir);
    expect([...store.repositories]).toEqual([]);
    await Promise.all(['r/b', 'r/a', 'r/b', 'r/c'].map((r) => store.add(r)));
    expect(readdirSync(dir)).toEqual([PRIVATE_IMAGES_FILE]);
    expect(statSync(join(dir, PRIVATE_IMAGES_FILE)).mode & 0o777).toBe(0o600);
    const again = await PrivateImageStore.open(dir);
    expect([...again.repositories].sort()).toEqual(['r/a', 'r/b', 'r/c']);
  });

  it('starts empty from a damaged file, and keeps only names from it', async () => {
    writeFileSync(join(dir, PRIVATE_IMAGES_FILE), '{"repositories": ["ok/one", 3, ""');
    expect([...(await PrivateImageStore.open(dir)).repositories]).toEqual([]);
    writeFileSync(join(dir, PRIVATE_IMAGES_FILE), '{"repositories": ["ok/one", 3, "", null]}');
    expect([...(await PrivateImageStore.open(dir)).repositories]).toEqual(['ok/one']);
  });

  it('still holds a repository in memory when the file cannot be written', async () => {
    const store = await PrivateImageStore.open(join(dir, 'missing-dir'));
    await expect(store.add('r/a')).rejects.toThrow();
    expect(store.repositories.has('r/a')).toBe(true);
  });
});
