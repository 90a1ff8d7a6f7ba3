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
  /** Creates a user through the API (as `adminToken`), logs it in (password `<name>-password`). */
  addUser(adminToken: string, username: string, role?: string): Promise<{ id: string; token: string }>;
  stop(): Promise<void>;
}

/**
 * One JSON request to `baseUrl` as the API's clients send it: the bearer token and a JSON body when
 * given. An event stream stays open, so its status is the answer and its body is not waited for.
 */
export async function jsonCall(
  baseUrl: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): ReturnType<TestRoot['call']> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (opts.token !== undefined) {
    headers.authorization = `Bearer ${opts.token}`;
  }
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
  });
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, body: undefined, headers: res.headers };
  }
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  return { status: res.status, body, headers: res.headers };
}

/** A real root on a free port with its own data directory, and a JSON client for it. */
export async function startHttpRoot(env: Record<string, string> = {}): Promise<TestRoot> {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-http-root-'));
  const adminPassword = 'admin-password-1';
  const root = await bootRoot(dir, { CANOPY_ADMIN_PASSWORD: adminPassword, LOGIN_RATE_LIMIT: '1000', ...env });
  const call: TestRoot['call'] = (method, path, opts = {}) => jsonCall(root.url, method, path, opts);
  const login: TestRoot['login'] = async (username, password) => {
    const res = await call('POST', '/api/auth/login', { body: { username, password } });
    if (res.status !== 200) {
      throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body as { token: string; refresh_token: string };
  };
  const addUser: TestRoot['addUser'] = async (adminToken, username, role = 'Application_Provider') => {
    const password = `${username}-password`;
    const created = await call('POST', '/api/users', { token: adminToken, body: { username, password, role } });
    if (created.status !== 201) {
      throw new Error(`create user ${username}: ${created.status} ${JSON.stringify(created.body)}`);
    }
    const { id } = created.body as { id: string };
    return { id, token: (await login(username, password)).token };
  };
  return {
    root,
    adminPassword,
    call,
    login,
    addUser,
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
