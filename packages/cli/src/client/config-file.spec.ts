import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configPath,
  contextName,
  currentContext,
  loadConfig,
  parseConfig,
  saveConfig,
  upsertContext,
  type CliContext,
} from './config-file';

const ctx = (name: string, token = 't'): CliContext => ({
  name,
  server: 'http://localhost:10000',
  user: 'Admin',
  token,
  refresh_token: 'r',
});

describe('the CLI config file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'canopy-cli-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in ~/.canopy/config unless CANOPY_CONFIG says otherwise', () => {
    expect(configPath({})).toMatch(/\.canopy\/config$/);
    expect(configPath({ CANOPY_CONFIG: '/x/y' })).toBe('/x/y');
  });

  it('is written owner-only, also over a wider existing file, and read back', () => {
    const path = join(dir, 'nested', 'config');
    saveConfig(path, upsertContext({ contexts: [] }, ctx('a')));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o644);
    saveConfig(path, upsertContext(loadConfig(path), ctx('b')));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const config = loadConfig(path);
    expect(config.contexts.map((c) => c.name)).toEqual(['a', 'b']);
    expect(currentContext(config)?.name).toBe('b');
  });

  it('replaces a context of the same name (a new login) and makes it current', () => {
    const once = upsertContext(upsertContext({ contexts: [] }, ctx('a', 'old')), ctx('b'));
    const again = upsertContext(once, ctx('a', 'new'));
    expect(again.contexts).toHaveLength(2);
    expect(currentContext(again)).toMatchObject({ name: 'a', token: 'new' });
  });

  it('treats a missing or empty file as logged out and drops malformed contexts', () => {
    expect(loadConfig(join(dir, 'none'))).toEqual({ contexts: [] });
    expect(parseConfig('')).toEqual({ contexts: [] });
    expect(parseConfig('contexts:\n  - name: x\n').contexts).toEqual([]);
  });

  it('names a broken file and says what to do', () => {
    const path = join(dir, 'config');
    writeFileSync(path, '- just\n- a list\n');
    expect(() => loadConfig(path)).toThrow(/cannot read .*config.*run canopy login/);
  });

  it('names contexts user@host', () => {
    expect(contextName('http://10.0.0.1:10000', 'Admin')).toBe('Admin@10.0.0.1:10000');
  });
});
