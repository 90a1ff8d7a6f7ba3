import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { URI, checkInfrastructureElement, checkStatusAttrs, isObject, problem } from './ngsi-ld-checks';

/**
 * A stand-in for an NGSI-LD context broker, over real HTTP. No real broker can run on these
 * machines (Orion-LD needs MongoDB, which is not obtainable here), so this one checks every
 * request against the shapes aerOS uses (aerOS.md §2: paths, methods, the `aerOS: true` header,
 * Relationships with URN objects) and answers as Orion-LD does: 204 on a PATCH of a known entity,
 * 404 on an unknown one, 201 on a create, 409 on a create of an existing one, 400 ProblemDetails
 * on a malformed request. Requests that break a rule are recorded in `violations`.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query as received (entity ids URL-encoded). */
  url: string;
  /** The decoded entity id of a PATCH, the `id` of a create, or the ids of an upsert. */
  entityIds: string[];
  headers: IncomingMessage['headers'];
  body: unknown;
  /** The status the broker answered; 0 when it did not answer (`'hang'`). */
  status: number;
}

export interface ScriptedReply {
  status: number;
  body?: unknown;
}

const PATCH_PATH = /^\/ngsi-ld\/v1\/entities\/([^/?]+)\/attrs$/;
const UPSERT_PATH = '/ngsi-ld/v1/entityOperations/upsert';

export class NgsiLdTestBroker {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  /** Entities the broker holds, by id: what was created, merged with what was patched. */
  readonly entities = new Map<string, Record<string, unknown>>();
  /**
   * Answers that override the normal behaviour (e.g. a 400 for one entity); undefined: normal;
   * `'hang'`: read the request and never answer (the connection stays open until the client gives up).
   */
  script: ((request: Omit<RecordedRequest, 'status'>) => ScriptedReply | 'hang' | undefined) | undefined;
  /** The bearer token every request must carry, when set. */
  expectToken: string | undefined;
  private server: Server | undefined;
  private listeners: (() => void)[] = [];

  private boundPort = 0;

  /** Listens on `port` (0: one the OS picks) on 127.0.0.1. */
  static async start(port = 0): Promise<NgsiLdTestBroker> {
    const broker = new NgsiLdTestBroker();
    broker.boundPort = await broker.listen(port);
    return broker;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An entity made by an HLO before the root publishes about it. */
  seed(id: string, type = 'ServiceComponent'): void {
    this.entities.set(id, { id, type });
  }

  /** Stops listening and cuts every open connection: new connections are refused from now on. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) {
      return;
    }
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Listens again on the same port after close(). */
  async reopen(): Promise<void> {
    await this.listen(this.port);
  }

  /** Resolves once `predicate` holds over the requests received so far; checked on every request. */
  async waitFor(what: string, predicate: (requests: RecordedRequest[]) => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate(this.requests)) {
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.requests)) {
          return;
        }
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out waiting for ${what}; received ${this.requests.length} requests`));
      }, timeoutMs);
      this.listeners.push(check);
    });
  }

  /** The statuses (`Running`, ...) PATCHed or created for one entity, in arrival order, with their IE. */
  statusesOf(entityId: string): { status: string; infrastructureElement: string; httpStatus: number }[] {
    return this.requests
      .filter((r) => r.entityIds.includes(entityId) && !r.url.startsWith(UPSERT_PATH))
      .map((r) => {
        const body = r.body as Record<string, { object?: string }>;
        return {
          status: (body['serviceComponentStatus']?.object ?? '').replace('urn:ngsi-ld:ServiceComponentStatus:', ''),
          infrastructureElement: body['infrastructureElement']?.object ?? '',
          httpStatus: r.status,
        };
      });
  }

  private async listen(port: number): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const problems: string[] = [];
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        problems.push(`body is not JSON: ${text.slice(0, 80)}`);
      }
      const url = req.url ?? '';
      const method = req.method ?? '';
      const entityIds = this.check(method, url, req.headers, body, problems);
      const seen = { method, url, entityIds, headers: req.headers, body };
      let reply: ScriptedReply | 'hang';
      if (problems.length > 0) {
        this.violations.push(...problems.map((p) => `${method} ${url}: ${p}`));
        reply = problem(400, 'BadRequestData', problems.join('; '));
      } else {
        reply = this.script?.(seen) ?? this.apply(method, url, entityIds, body);
      }
      if (reply === 'hang') {
        this.requests.push({ ...seen, status: 0 });
        for (const listener of [...this.listeners]) {
          listener();
        }
        return;
      }
      this.requests.push({ ...seen, status: reply.status });
      res.writeHead(reply.status, reply.body === undefined ? {} : { 'Content-Type': 'application/json' });
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
      for (const listener of [...this.listeners]) {
        listener();
      }
    });
  }

  /** The NGSI-LD rules aerOS's components rely on; returns the entity ids the request is about. */
  private check(
    method: string,
    url: string,
    headers: IncomingMessage['headers'],
    body: unknown,
    problems: string[],
  ): string[] {
    if (headers['content-type'] !== 'application/json') {
      problems.push(`Content-Type is ${headers['content-type']}`);
    }
    if (headers['aeros'] !== 'true') {
      problems.push('no "aerOS: true" header');
    }
    if (this.expectToken !== undefined && headers['authorization'] !== `Bearer ${this.expectToken}`) {
      problems.push('missing or wrong bearer token');
    }
    const link = headers['link'] === undefined ? undefined : String(headers['link']);
    if (link !== undefined && !/^<https?:\/\/\S+>; rel="http:\/\/www\.w3\.org\/ns\/json-ld#context"/.test(link)) {
      problems.push(`malformed Link header ${link}`);
    }
    if (isObject(body) && '@context' in body) {
      problems.push('@context in an application/json body');
    }

    const patch = PATCH_PATH.exec(url);
    if (method === 'PATCH' && patch) {
      const encoded = patch[1]!;
      const id = decodeURIComponent(encoded);
      if (encodeURIComponent(id) !== encoded) {
        problems.push(`entity id not URL-encoded: ${encoded}`);
      }
      if (!URI.test(id)) {
        problems.push(`entity id is not a URI: ${id}`);
      }
      checkStatusAttrs(body, problems);
      return [id];
    }
    if (method === 'POST' && url === '/ngsi-ld/v1/entities') {
      if (!isObject(body)) {
        problems.push('create body is not an object');
        return [];
      }
      const { id, type, ...attrs } = body;
      if (typeof id !== 'string' || !URI.test(id)) {
        problems.push(`entity id is not a URI: ${String(id)}`);
      }
      if (type !== 'ServiceComponent') {
        problems.push(`entity type ${String(type)}`);
      }
      checkStatusAttrs(attrs, problems);
      return typeof id === 'string' ? [id] : [];
    }
    if (method === 'POST' && url.split('?')[0] === UPSERT_PATH) {
      if (!Array.isArray(body) || body.length === 0) {
        problems.push('upsert body is not a non-empty array');
        return [];
      }
      return body.map((entity: unknown) => checkInfrastructureElement(entity, problems));
    }
    problems.push(`unexpected ${method} ${url}`);
    return [];
  }

  /** Orion-LD's answers for valid requests. */
  private apply(method: string, url: string, ids: string[], body: unknown): ScriptedReply {
    const id = ids[0] ?? '';
    if (method === 'PATCH') {
      const entity = this.entities.get(id);
      if (entity === undefined) {
        return problem(404, 'ResourceNotFound', `Entity not found: ${id}`);
      }
      Object.assign(entity, body);
      return { status: 204 };
    }
    if (url === '/ngsi-ld/v1/entities') {
      if (this.entities.has(id)) {
        return problem(409, 'AlreadyExists', `Entity already exists: ${id}`);
      }
      this.entities.set(id, { ...(body as Record<string, unknown>) });
      return { status: 201 };
    }
    let created = false;
    for (const entity of body as Record<string, unknown>[]) {
      const eid = entity['id'] as string;
      created ||= !this.entities.has(eid);
      this.entities.set(eid, { ...(this.entities.get(eid) ?? {}), ...entity });
    }
    return { status: created ? 201 : 204 };
  }
}
