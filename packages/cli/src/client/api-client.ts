import { type CliContext } from './config-file';

/** An HTTP error from the root, with its stable `code` and a hint on what to do next. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** What the root says about a failed call, plus what the user can do about it. */
function explain(status: number, body: unknown, what: string): ApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    code?: string;
    message?: string;
    errors?: { path: string; message: string }[];
  };
  const fields = b.errors?.length ? `: ${b.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}` : '';
  const base = `${what} failed (${status}${b.code ? ` ${b.code}` : ''}): ${b.message ?? (typeof body === 'string' ? body : 'no message')}${fields}`;
  const hint =
    status === 401
      ? '; your session ended: run canopy login again'
      : status === 403
        ? '; this needs an admin: log in as one with canopy login'
        : '';
  return new ApiError(status, b.code, `${base}${hint}`);
}

/**
 * The root's REST API for one context. An expired access token is refreshed once with the refresh
 * token, and the new pair handed to `onTokens` so the config file keeps it.
 */
export class ApiClient {
  constructor(
    private context: CliContext,
    private readonly onTokens: (context: CliContext) => void = () => undefined,
  ) {}

  get server(): string {
    return this.context.server;
  }

  get token(): string {
    return this.context.token;
  }

  static async login(
    server: string,
    username: string,
    password: string,
  ): Promise<{ token: string; refresh_token: string }> {
    const res = await send(server, 'POST', '/api/auth/login', undefined, { username, password });
    if (res.status !== 200) {
      throw explain(res.status, res.body, 'login');
    }
    return res.body as { token: string; refresh_token: string };
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<ApiResponse<T>> {
    let res = await send(this.context.server, method, path, this.context.token, body, contentType);
    if (res.status === 401 && (await this.refresh())) {
      res = await send(this.context.server, method, path, this.context.token, body, contentType);
    }
    return res as ApiResponse<T>;
  }

  /** Like `request`, but anything but 2xx throws an ApiError naming the call. */
  async call<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.request<T>(method, path, body, contentType);
    if (res.status < 200 || res.status >= 300) {
      throw explain(res.status, res.body, `${method} ${path}`);
    }
    return res.body;
  }

  /** A fresh access token before a long-lived call (the event stream) that cannot retry. */
  async ensureFresh(): Promise<void> {
    const res = await send(this.context.server, 'GET', '/api/users/me', this.context.token);
    if (res.status === 401 && !(await this.refresh())) {
      throw new ApiError(401, 'UNAUTHORIZED', 'your session ended: run canopy login again');
    }
  }

  private async refresh(): Promise<boolean> {
    const res = await send(this.context.server, 'POST', '/api/auth/refresh', undefined, {
      refresh_token: this.context.refresh_token,
    });
    if (res.status !== 200) {
      return false;
    }
    const pair = res.body as { token: string; refresh_token: string };
    this.context = { ...this.context, token: pair.token, refresh_token: pair.refresh_token };
    this.onTokens(this.context);
    return true;
  }
}

async function send(
  server: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse<unknown>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) {
    headers.authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    headers['content-type'] = contentType;
  }
  let res: Response;
  try {
    res = await fetch(new URL(path, server), {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  } catch (error) {
    // undici puts the socket error in `cause`, or an AggregateError of one per address tried.
    const c = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    const cause = c?.code ?? c?.errors?.[0]?.code ?? (c as Error | undefined)?.message ?? (error as Error).message;
    throw new Error(`cannot reach ${server} (${cause}): is the root running? check the URL given to canopy login`, {
      cause: error,
    });
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // A non-JSON answer (a proxy's error page) is shown as text.
  }
  return { status: res.status, body: parsed };
}
