/** A small client for the root's REST API, as a user's script would call it. */
export class RootApi {
  token = '';
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (this.token) {
      headers.authorization = `Bearer ${this.token}`;
    }
    if (body !== undefined || raw !== undefined) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? null : JSON.stringify(body)),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* non-JSON body stays text */
    }
    return { status: res.status, body: parsed };
  }

  async login(username: string, password: string): Promise<void> {
    const res = await this.request('POST', '/api/auth/login', { username, password });
    if (res.status !== 200) {
      throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    }
    this.token = res.body.token;
  }
}

export function slaWith(microservices: Record<string, unknown>[], name = 'demo'): Record<string, unknown> {
  return {
    sla_version: 'v2.0',
    customerID: 'Admin',
    applications: [
      {
        applicationID: '',
        application_name: name,
        application_namespace: 'test',
        application_desc: 'e2e',
        microservices,
      },
    ],
  };
}

/**
 * One microservice of the test image (`canopy-test/busybox`, whose /www answers `canopy-ok`), named
 * `web` in namespace `test`; `fields` adds the command, memory, port, replicas and so on.
 */
export function busybox(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    microserviceID: '',
    microservice_name: 'web',
    microservice_namespace: 'test',
    virtualization: 'container',
    code: 'canopy-test/busybox:latest',
    ...fields,
  };
}

/** The test image's web server: `httpd` in the foreground on port 80, serving /www. */
export const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/www'];

/**
 * Creates application `name` holding one test web server (`httpd` on port 80, 16 MB) with `fields`
 * on top, and returns its application and service ids; fails the test unless the root answers 201.
 */
export async function createWebService(
  api: RootApi,
  name: string,
  fields: Record<string, unknown> = {},
): Promise<{ appId: string; serviceId: string }> {
  const created = await api.request(
    'POST',
    '/api/application',
    slaWith([busybox({ cmd: HTTPD, memory: 16, ...fields })], name),
  );
  if (created.status !== 201) {
    throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const app = created.body.applications[0];
  return { appId: app.applicationID, serviceId: app.microservices[0] };
}
