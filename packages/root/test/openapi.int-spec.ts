import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadRootConfig } from '../src/config/root-config';
import { startRoot, type RootHandle } from '../src/root.bootstrap';

/** Every route the API serves, as `METHOD path` in OpenAPI's `{param}` spelling. */
const ROUTES = [
  'POST /api/auth/login',
  'POST /api/auth/refresh',
  'POST /api/application',
  'GET /api/applications',
  'GET /api/application/{id}',
  'PUT /api/application/{id}',
  'DELETE /api/application/{id}',
  'POST /api/service',
  'GET /api/services/{appId}',
  'GET /api/service/{id}',
  'PUT /api/service/{id}',
  'DELETE /api/service/{id}',
  'POST /api/service/{id}/instance',
  'DELETE /api/service/{id}/instance/{n}',
  'GET /api/service/{id}/instance/{n}/logs',
  'GET /api/events',
  'GET /api/clusters',
  'GET /api/clusters/active',
  'POST /api/clusters',
  'POST /api/clusters/{id}/credential',
  'GET /api/infrastructure-elements',
  'GET /api/infrastructure-elements/{id}',
  'GET /api/users',
  'POST /api/users',
  'GET /api/users/me',
  'GET /api/user/{id}',
  'PUT /api/user/{id}',
  'DELETE /api/user/{id}',
  'GET /api/user/{id}/quota',
  'PUT /api/user/{id}/quota',
  'GET /api/organizations',
  'POST /api/organizations',
  'GET /api/organization/{id}',
  'PUT /api/organization/{id}',
  'DELETE /api/organization/{id}',
  // Oakestra's clients' spellings (issue 11), beside Canopy's own.
  'POST /api/auth/register',
  'GET /api/applications/{userId}',
  'GET /api/users/{organizationId}',
  'POST /api/user/{id}',
  'GET /api/permission/{id}',
  'GET /api/organization',
  'POST /api/organization',
  'DELETE /api/service/{id}/instance{n}',
  'GET /api/services',
  'GET /api/clusters/{userId}',
  'GET /api/cluster/{id}',
  'GET /api/tokens',
  'POST /api/tokens',
  'DELETE /api/tokens/{id}',
  'GET /health',
  'GET /metrics',
  'GET /version',
  'GET /v1/service-components',
  'POST /v1/service-components',
  'PUT /v1/service-components',
  'GET /v1/service-components/{name}',
  'PATCH /v1/service-components/{name}',
  'DELETE /v1/service-components/{name}',
  'POST /hlo_al/services',
  'POST /hlo_al/services/{service_id}',
  'GET /hlo_al/services/{service_id}/service_components/{service_component_id}',
  'PUT /hlo_al/services/{service_id}/service_components/{service_component_id}',
  'DELETE /hlo_al/services/{service_id}/service_components/{service_component_id}',
];
const PUBLIC = new Set(['POST /api/auth/login', 'POST /api/auth/refresh', 'GET /health']);

describe('OpenAPI document and request limits (real root over HTTP)', () => {
  let root: RootHandle;
  let dir: string;
  let doc: any;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-openapi-'));
    root = await startRoot(
      loadRootConfig({
        ROOT_PORT: '0',
        ROOT_HOST: '127.0.0.1',
        ROOT_DATA_DIR: dir,
        CANOPY_ADMIN_PASSWORD: 'openapi-admin-pw',
        ROOT_BODY_LIMIT: '64kb',
      }),
      pino({ level: 'silent' }),
    );
    doc = await (await fetch(`${root.url}/api/docs-json`)).json();
  });

  afterAll(async () => {
    await root.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every route, and nothing else', () => {
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual([...ROUTES].sort());
  });

  it('documents each route’s auth and the error shape', () => {
    for (const route of ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path][method.toLowerCase()];
      if (PUBLIC.has(route)) {
        expect(op.security).toBeUndefined();
      } else {
        expect({ route, security: op.security }).toEqual({ route, security: [{ bearer: [] }] });
        expect(op.responses['401'].content['application/json'].schema).toEqual({
          $ref: '#/components/schemas/ErrorResponse',
        });
      }
    }
    expect(doc.components.schemas.ErrorResponse.required).toEqual(['statusCode', 'code', 'message', 'errors']);
  });

  it('describes request bodies with the validating classes', () => {
    expect(doc.paths['/api/application'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/SlaDescriptor',
    });
    const ms = doc.components.schemas.SlaMicroservice;
    expect(ms.required).toEqual(
      expect.arrayContaining(['microservice_name', 'microservice_namespace', 'virtualization', 'code']),
    );
    expect(ms.properties.microservice_name.pattern).toBe('^[a-zA-Z0-9]{1,30}$');
  });

  it('describes an Infrastructure Element with the class the root validates clusters’ reports with', () => {
    const item =
      doc.paths['/api/infrastructure-elements'].get.responses['200'].content['application/json'].schema.items;
    expect(item.allOf[0]).toEqual({ $ref: '#/components/schemas/InfrastructureElementDto' });
    expect(item.allOf[1].required).toEqual(['clusterId', 'clusterName']);
    const ie = doc.components.schemas.InfrastructureElementDto;
    expect(ie.required).toEqual(
      expect.arrayContaining(['id', 'hostname', 'cpuCores', 'currentCpuUsage', 'ramCapacity', 'cpuArchitecture']),
    );
  });

  it('answers a body over the limit with 413 in the error shape', async () => {
    const login = await fetch(`${root.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Admin', password: 'openapi-admin-pw' }),
    });
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`${root.url}/api/application`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ sla_version: 'v2.0', customerID: 'x'.repeat(100_000), applications: [] }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.any(String),
      errors: [],
    });
    const apps = await fetch(`${root.url}/api/applications`, { headers: { authorization: `Bearer ${token}` } });
    expect(await apps.json()).toEqual([]);

    // Under /k8s the same refusal is a Kubernetes Status, the only error kubectl can print.
    const cr = await fetch(
      `${root.url}/k8s/apis/llo.aeros-project.eu/v1alpha1/namespaces/default/servicecomponentdockers`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ kind: 'ServiceComponentDocker', spec: { image: 'x'.repeat(100_000) } }),
      },
    );
    expect(cr.status).toBe(413);
    expect(await cr.json()).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      reason: 'RequestEntityTooLarge',
      code: 413,
    });
  });
});
