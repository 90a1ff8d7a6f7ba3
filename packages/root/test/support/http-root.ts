import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadRootConfig } from '../../src/config/root-config';
import { startRoot, type RootHandle } from '../../src/root.bootstrap';

/** A real root in-process on a free loopback port, over `dir`, logging nothing; `env` adds to that. */
export function bootRoot(dir: string, env: Record<string, string>): Promise<RootHandle> {
  return startRoot(
    loadRootConfig({ ROOT_PORT: '0', ROOT_HOST: '127.0.0.1', ROOT_DATA_DIR: dir, ...env }),
    pino({ level: 'silent' }),
  );
}

export interface TestRoot {
  root: RootHandle;
  adminPassword: string;
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{
    status: number;
    // Responses are asserted field by field, as the clients read them.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    body: any;
    headers: Headers;
  }>;
  login(username: string, password: string): Promise<{ token: string; refresh_token: string }>;
  stop(): Promise<void>;
}

/** A real root on a free port with its own data directory, and a JSON client for it. */
export async function startHttpRoot(env: Record<string, string> = {}): Promise<TestRoot> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-http-root-'));
  const adminPassword = 'admin-password-1';
  const root = await bootRoot(dir, { CANOPY_ADMIN_PASSWORD: adminPassword, LOGIN_RATE_LIMIT: '1000', ...env });
  const call: TestRoot['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    if (opts.token !== undefined) {
      headers.authorization = `Bearer ${opts.token}`;
    }
    const res = await fetch(`${root.url}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
    });
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    return { status: res.status, body, headers: res.headers };
  };
  const login: TestRoot['login'] = async (username, password) => {
    const res = await call('POST', '/api/auth/login', { body: { username, password } });
    if (res.status !== 200) {
      throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body as { token: string; refresh_token: string };
  };
  return {
    root,
    adminPassword,
    call,
    login,
    stop: async () => {
      await root.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The payload of a JWT, as a browser's jwt-decode reads it (no verification). */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
