import { io, type Socket } from 'socket.io-client';
import { testMicroservice, testSla, waitFor } from '@canopy/testing';
import { startHttpRoot, type TestRoot } from './support/http-root';

interface Stream {
  events: { event: string; data: any }[];
  /** Resolves with the first event matching `match` (already received or still to come). */
  next(match: (e: { event: string; data: any }) => boolean): Promise<{ event: string; data: any }>;
  close(): void;
}

/** A real SSE client over fetch: status, headers, then `event:`/`data:` blocks. */
async function openStream(
  url: string,
  token: string,
): Promise<{ status: number; type: string | null; stream?: Stream }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    return { status: res.status, type: res.headers.get('content-type') };
  }
  const events: { event: string; data: any }[] = [];
  const waiters: { match: (e: { event: string; data: any }) => boolean; resolve: (e: any) => void }[] = [];
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          return;
        }
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === undefined || data === undefined) {
            continue;
          }
          const e = { event, data: JSON.parse(data) };
          events.push(e);
          for (const w of waiters.splice(0)) {
            if (w.match(e)) {
              w.resolve(e);
            } else {
              waiters.push(w);
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    stream: {
      events,
      next: (match) =>
        new Promise((resolve) => {
          const found = events.find(match);
          if (found) {
            resolve(found);
          } else {
            waiters.push({ match, resolve });
          }
        }),
      close: () => abort.abort(),
    },
  };
}

describe('user event stream (real root: SSE and Socket.IO)', () => {
  jest.setTimeout(60_000);
  let t: TestRoot;
  const tokens: Record<string, string> = {};
  const streams: Stream[] = [];
  const sockets: Socket[] = [];

  async function call(who: string, method: string, path: string, body?: unknown): Promise<any> {
    const token = tokens[who];
    return (await t.call(method, path, { ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) })).body;
  }
  /** A connected client of the /events namespace (auth.token), closed after the suite. */
  async function connectEvents(token: string): Promise<Socket> {
    const socket = io(`${t.root.url}/events`, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  }
  // The root never pulls: any image name will do, so the shortest.
  const sla = (name: string) => testSla(name, [testMicroservice({ code: 'busybox' })]);
  async function deployFresh(who: string, name: string): Promise<string> {
    const created = await call(who, 'POST', '/api/application', sla(name));
    const serviceId: string = created.applications[0].microservices[0];
    await call(who, 'POST', `/api/service/${serviceId}/instance`);
    return serviceId;
  }

  beforeAll(async () => {
    t = await startHttpRoot();
    tokens.admin = (await t.login('Admin', t.adminPassword)).token;
    for (const name of ['alice', 'bob']) {
      tokens[name] = (await t.addUser(tokens.admin, name)).token;
    }
  });

  afterAll(async () => {
    for (const s of streams) {
      s.close();
    }
    for (const s of sockets) {
      s.close();
    }
    await t.stop();
  });

  it("streams the caller's instance status changes and service events, and none of another user's", async () => {
    const alice = await openStream(`${t.root.url}/api/events`, tokens.alice!);
    const bob = await openStream(`${t.root.url}/api/events`, tokens.bob!);
    const admin = await openStream(`${t.root.url}/api/events`, tokens.admin!);
    for (const s of [alice, bob, admin]) {
      expect(s.status).toBe(200);
      expect(s.type).toMatch(/^text\/event-stream/);
      streams.push(s.stream!);
    }

    const aliceService = await deployFresh('alice', 'a1');
    const created = await alice.stream!.next((e) => e.event === 'service' && e.data.service_id === aliceService);
    expect(created.data).toMatchObject({ type: 'service', action: 'created', name: 'web' });
    // No cluster is attached: the instance goes REQUESTED → NoActiveClusterWithCapacity.
    const requested = await alice.stream!.next((e) => e.event === 'instance' && e.data.status === 'REQUESTED');
    expect(requested.data).toMatchObject({ service_id: aliceService, instance_number: 0 });
    const unplaced = await alice.stream!.next((e) => e.event === 'instance' && e.data.status !== 'REQUESTED');
    expect(unplaced.data).toMatchObject({
      service_id: aliceService,
      instance_number: 0,
      status: 'NoActiveClusterWithCapacity',
    });
    expect(typeof unplaced.data.detail).toBe('string');
    expect(Date.parse(unplaced.data.at)).not.toBeNaN();
    await admin.stream!.next(
      (e) => e.data.service_id === aliceService && e.data.status === 'NoActiveClusterWithCapacity',
    );

    // Bob's own event comes after Alice's: once it is there, Alice's would have been too.
    const bobService = await deployFresh('bob', 'b1');
    await bob.stream!.next((e) => e.data.service_id === bobService && e.data.status === 'NoActiveClusterWithCapacity');
    expect(bob.stream!.events.filter((e) => e.data.service_id === aliceService)).toEqual([]);
    expect(alice.stream!.events.filter((e) => e.data.service_id === bobService)).toEqual([]);

    await call('alice', 'DELETE', `/api/service/${aliceService}`);
    await alice.stream!.next(
      (e) => e.event === 'service' && e.data.action === 'deleted' && e.data.service_id === aliceService,
    );
  });

  it('filters by ?service= and refuses a service the caller may not see', async () => {
    const mine = await deployFresh('alice', 'a2');
    const other = await deployFresh('alice', 'a3');
    expect((await openStream(`${t.root.url}/api/events?service=${mine}`, tokens.bob!)).status).toBe(404);
    expect((await openStream(`${t.root.url}/api/events`, 'not-a-token')).status).toBe(401);
    const filtered = await openStream(`${t.root.url}/api/events?service=${mine}`, tokens.alice!);
    streams.push(filtered.stream!);
    await call('alice', 'POST', `/api/service/${other}/instance`);
    await call('alice', 'POST', `/api/service/${mine}/instance`);
    await filtered.stream!.next((e) => e.data.instance_number === 1 && e.data.status === 'NoActiveClusterWithCapacity');
    expect(filtered.stream!.events.every((e) => e.data.service_id === mine)).toBe(true);
  });

  it('serves the same events on the /events Socket.IO namespace, with the token in auth.token', async () => {
    const refused = io(`${t.root.url}/events`, {
      auth: { token: 'bad' },
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(refused);
    const error = await new Promise<Error>((resolve) => refused.once('connect_error', resolve));
    expect(error.message).toMatch(/unauthorized/);

    const socket = await connectEvents(tokens.alice!);
    const got = new Promise<any>((resolve) =>
      socket.on('instance', (e: any) => {
        if (e.status === 'NoActiveClusterWithCapacity') {
          resolve(e);
        }
      }),
    );
    const serviceId = await deployFresh('alice', 'a4');
    expect(await got).toMatchObject({ type: 'instance', service_id: serviceId, instance_number: 0 });
  });

  it('never carries a registry password, on SSE or on Socket.IO (issue 10, secrets)', async () => {
    const canary = 'events-canary-registry-pw';
    const sse = await openStream(`${t.root.url}/api/events`, tokens.alice!);
    streams.push(sse.stream!);
    const socket = await connectEvents(tokens.alice!);
    const received: unknown[] = [];
    socket.onAny((_event: string, ...args: unknown[]) => received.push(args));
    const created = await call(
      'alice',
      'POST',
      '/api/application',
      testSla('privev', [
        testMicroservice({
          code: 'registry.example.org/team/web:1',
          image_registry: { url: 'registry.example.org', username: 'robot', password: canary },
        }),
      ]),
    );
    const serviceId: string = created.applications[0].microservices[0];
    await call('alice', 'POST', `/api/service/${serviceId}/instance`);
    await sse.stream!.next((e) => e.data.service_id === serviceId && e.data.status === 'NoActiveClusterWithCapacity');
    await waitFor('the same event on Socket.IO', () =>
      JSON.stringify(received).includes('NoActiveClusterWithCapacity') ? true : undefined,
    );
    const seen = sse.stream!.events.filter((e) => e.data.service_id === serviceId);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(seen)).not.toContain(canary);
    expect(JSON.stringify(received)).not.toContain(canary);
  });
});
