import { BASE, SCD, TABLE, cr, fake, startK8sTestApp, type K8sTestApp } from '../../../test/support/k8s-test-app';

/** The `/k8s` controllers over HTTP, with an in-memory ComponentsPort (the real one: e2e). */
describe('/k8s resources (controllers over HTTP, fake components port)', () => {
  let t: K8sTestApp;
  let url: string;
  const call: K8sTestApp['call'] = (method, path, opts) => t.call(method, path, opts);

  beforeAll(async () => {
    t = await startK8sTestApp();
    url = t.url;
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers a missing or unknown token with a 401 Status, but /version without one', async () => {
    for (const user of [null, 'mallory']) {
      const res = await call('GET', SCD, { user });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    expect((await call('GET', '/k8s/version', { user: null })).body).toMatchObject({
      major: '1',
      gitVersion: expect.any(String),
    });
  });

  it('creates, reads and lists a CR; a second create is AlreadyExists', async () => {
    const created = await call('POST', SCD, { body: cr('web-1') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'ServiceComponentDocker',
      metadata: { name: 'web-1', namespace: 'default' },
    });

    const got = await call('GET', `${SCD}/web-1`);
    expect(got.body.status.serviceComponentStatus).toBe('Starting');

    const list = await call('GET', SCD);
    expect(list.body).toMatchObject({
      apiVersion: 'llo.aeros-project.eu/v1alpha1',
      kind: 'ServiceComponentDockerList',
      metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
    });
    expect(list.body.items.map((i: any) => i.metadata.name)).toContain('web-1');
    // Another user sees nothing of alice's.
    expect((await call('GET', `${BASE}/servicecomponentdockers`, { user: 'bob' })).body.items).toEqual([]);
    expect((await call('GET', `${SCD}/web-1`, { user: 'bob' })).status).toBe(404);

    const again = await call('POST', SCD, { body: cr('web-1') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'servicecomponentdockers.llo.aeros-project.eu "web-1" already exists',
      details: { name: 'web-1', group: 'llo.aeros-project.eu', kind: 'servicecomponentdockers' },
    });
  });

  it('accepts a YAML body', async () => {
    const yaml = `apiVersion: llo.aeros-project.eu/v1alpha1\nkind: ServiceComponentDocker\nmetadata:\n  name: from-yaml\nspec:\n  image: busybox\n`;
    const res = await call('POST', SCD, { body: yaml, type: 'application/yaml' });
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toBe('from-yaml');
  });

  it('answers a Table with the columns kubectl prints when asked for one', async () => {
    await call('POST', SCD, { body: cr('web-table') });
    const res = await call('GET', SCD, { accept: TABLE });
    expect(res.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(res.body.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name)).toEqual([
      'Name',
      'IE',
      'Image',
      'Status',
      'Age',
    ]);
    const row = res.body.rows.find((r: any) => r.cells[0] === 'web-table');
    expect(row.cells.slice(0, 4)).toEqual([
      'web-table',
      'urn:ngsi-ld:InfrastructureElement:d:n1',
      'nginx:1',
      'Starting',
    ]);
    expect(row.cells[4]).toMatch(/^\d+s$/);
    expect(row.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      metadata: { name: 'web-table', namespace: 'default' },
    });
    const one = await call('GET', `${SCD}/web-table`, { accept: TABLE });
    expect(one.body.rows).toHaveLength(1);
  });

  it('filters lists by kubectl’s field and label selectors', async () => {
    await call('POST', SCD, { body: cr('sel-a') });
    const byName = await call('GET', `${SCD}?fieldSelector=${encodeURIComponent('metadata.name=sel-a')}`);
    expect(byName.body.items.map((i: any) => i.metadata.name)).toEqual(['sel-a']);
    const none = await call('GET', `${SCD}?labelSelector=${encodeURIComponent('tier=db')}`);
    expect(none.body.items).toEqual([]);
    const web = await call('GET', `${SCD}?labelSelector=${encodeURIComponent('tier=web,!missing')}`);
    expect(web.body.items.length).toBeGreaterThan(0);
  });

  it('maps a validation failure to 422 Invalid with one cause per field', async () => {
    const res = await call('POST', SCD, { body: cr('Bad_Name', { spec: {} }) });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      details: { name: 'Bad_Name', group: 'llo.aeros-project.eu', kind: 'ServiceComponentDocker' },
    });
    expect(res.body.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: 'metadata.name must be a DNS-1123 label' },
      { reason: 'FieldValueInvalid', field: 'spec.image', message: 'image must be a string' },
    ]);
    expect(res.body.message).toBe(
      'ServiceComponentDocker.llo.aeros-project.eu "Bad_Name" is invalid: [metadata.name: metadata.name must be a DNS-1123 label, spec.image: image must be a string]',
    );
  });

  it('refuses a body of another kind, namespace or name than the path says', async () => {
    const otherKind = await call('POST', SCD, { body: cr('x1', { kind: 'ServiceComponentK8s' }) });
    expect(otherKind).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    const otherNs = await call('POST', SCD, { body: { ...cr('x2'), metadata: { name: 'x2', namespace: 'prod' } } });
    expect(otherNs.body.message).toContain('namespace');
    await call('POST', SCD, { body: cr('x3') });
    expect((await call('PUT', `${SCD}/x3`, { body: cr('x4') })).status).toBe(400);
  });

  it('patches by merge patch and JSON patch; refuses strategic merge with 415', async () => {
    await call('POST', SCD, { body: cr('patch-me') });
    const merged = await call('PATCH', `${SCD}/patch-me`, {
      body: { metadata: { labels: { tier: null, team: 'a' } } },
      type: 'application/merge-patch+json',
    });
    expect(merged.status).toBe(200);
    expect(merged.body.metadata.labels).toEqual({ team: 'a' });

    const jp = await call('PATCH', `${SCD}/patch-me`, {
      body: [
        { op: 'test', path: '/spec/image', value: 'nginx:1' },
        { op: 'replace', path: '/spec/image', value: 'nginx:2' },
      ],
      type: 'application/json-patch+json',
    });
    expect(jp.status).toBe(200);
    expect(jp.body.spec.image).toBe('nginx:2');

    const failed = await call('PATCH', `${SCD}/patch-me`, {
      body: [{ op: 'test', path: '/spec/image', value: 'nginx:1' }],
      type: 'application/json-patch+json',
    });
    expect(failed.status).toBe(422);
    expect(failed.body.details.causes[0].field).toBe('[0].value');

    const smp = await call('PATCH', `${SCD}/patch-me`, {
      body: { spec: { image: 'x' } },
      type: 'application/strategic-merge-patch+json',
    });
    expect(smp.status).toBe(415);
    expect(smp.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  });

  it('treats a server-side apply as create-or-merge', async () => {
    const body = JSON.stringify(cr('ssa-1'));
    const first = await call('PATCH', `${SCD}/ssa-1?fieldManager=kubectl`, {
      body,
      type: 'application/apply-patch+yaml',
    });
    expect(first.status).toBe(201);
    const yaml =
      'apiVersion: llo.aeros-project.eu/v1alpha1\nkind: ServiceComponentDocker\nmetadata:\n  name: ssa-1\nspec:\n  image: nginx:3\n';
    const second = await call('PATCH', `${SCD}/ssa-1`, { body: yaml, type: 'application/apply-patch+yaml' });
    expect(second.status).toBe(200);
    expect(second.body.spec.image).toBe('nginx:3');
  });

  it('replaces with PUT, and a stale resourceVersion is a 409 Conflict', async () => {
    const created = (await call('POST', SCD, { body: cr('put-me') })).body;
    const ok = await call('PUT', `${SCD}/put-me`, { body: { ...created, spec: { image: 'nginx:9' } } });
    expect(ok.body.spec.image).toBe('nginx:9');
    const stale = await call('PUT', `${SCD}/put-me`, { body: created });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict' });
    expect(stale.body.message).toContain('the object has been modified');
  });

  it('deletes and returns the object; then NotFound in Kubernetes words', async () => {
    await call('POST', SCD, { body: cr('del-me') });
    const deleted = await call('DELETE', `${SCD}/del-me`, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
    expect(deleted.status).toBe(200);
    expect(deleted.body.metadata.name).toBe('del-me');
    const gone = await call('GET', `${SCD}/del-me`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'servicecomponentdockers.llo.aeros-project.eu "del-me" not found',
      details: { name: 'del-me', group: 'llo.aeros-project.eu', kind: 'servicecomponentdockers' },
      code: 404,
    });
  });

  it('answers unknown resources and paths, and a too-large body, with a Status', async () => {
    expect((await call('GET', `${BASE}/namespaces/default/pods`)).body).toMatchObject({ kind: 'Status', code: 404 });
    expect((await call('GET', '/k8s/apis/apps/v1')).body).toMatchObject({ kind: 'Status', code: 404 });
    const big = await call('POST', SCD, { body: cr('big', { spec: { image: 'x'.repeat(20_000) } }) });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    const broken = await call('POST', SCD, { body: '{"kind":', type: 'application/json' });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('answers a verb a resource path does not serve with 405', async () => {
    const res = await call('DELETE', SCD);
    expect(res.status).toBe(405);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    expect((await call('POST', `${SCD}/some-name`, { body: cr('some-name') })).status).toBe(405);
    expect((await call('DELETE', `${SCD.replace('servicecomponentdockers', 'pods')}`)).status).toBe(404);
  });

  it('serves namespaces and an empty event list for describe', async () => {
    expect((await call('GET', '/k8s/api/v1/namespaces/default')).body).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'default' },
      status: { phase: 'Active' },
    });
    expect((await call('GET', '/k8s/api/v1/namespaces/default/events?fieldSelector=x')).body).toMatchObject({
      kind: 'EventList',
      items: [],
    });
  });

  it('streams watch events as JSON lines, only of objects the watcher may see', async () => {
    const controller = new AbortController();
    const res = await fetch(`${url}${SCD}?watch=true&timeoutSeconds=5`, {
      headers: { authorization: 'Bearer alice' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const lines: any[] = [];
    let buffered = '';
    const readUntil = async (n: number) => {
      while (lines.length < n) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buffered += new TextDecoder().decode(value);
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        lines.push(...parts.filter((p) => p).map((p) => JSON.parse(p)));
      }
    };
    await call('POST', SCD, { body: cr('bobs'), user: 'bob' });
    await call('POST', SCD, { body: cr('watched') });
    await call('DELETE', `${SCD}/watched`);
    await readUntil(2);
    expect(lines.map((l) => [l.type, l.object.metadata.name])).toEqual([
      ['ADDED', 'watched'],
      ['DELETED', 'watched'],
    ]);
    controller.abort();
    const before = fake.subscribers;
    // The closed watch unsubscribes from the port; only the watch service's replay buffer stays.
    for (let i = 0; i < 50 && fake.subscribers >= before && before > 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(fake.subscribers).toBe(1);
  });
});
