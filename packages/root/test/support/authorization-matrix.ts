/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access --
   the matrix reads untyped JSON responses the way a client script would, as its spec does. */
import { testMicroservice, testSla } from '@canopy/testing';
import { startHttpRoot, type TestRoot } from './http-root';

/** `apitoken`: an admin-minted API token for machine clients; good on @AerosApi() routes only, none of these. */
export type Caller = 'none' | 'bad' | 'apitoken' | 'other' | 'own' | 'admin';
export const CALLERS: Caller[] = ['none', 'bad', 'apitoken', 'other', 'own', 'admin'];

export interface Route {
  name: string;
  method: string;
  /** Builds the path (and body) for one call; may create fresh objects so destructive calls don't interfere. */
  prepare: (caller: Caller) => { path: string; body?: unknown } | Promise<{ path: string; body?: unknown }>;
  /** Expected status for the authenticated callers. */
  expect: Record<'other' | 'own' | 'admin', number>;
  /** Expected status without a (valid) token when the route is public; otherwise 401. */
  anonymous?: number;
  /**
   * Marked @AerosApi(): an API token is accepted and acts as the aerOS service account, a non-admin
   * that owns none of this test's objects, so it gets what `other` gets. Elsewhere it is a 403.
   */
  aeros?: boolean;
}

export const owned = { other: 404, own: 200, admin: 200 };
export const anyUser = { other: 200, own: 200, admin: 200 };
export const adminOnly = { other: 403, own: 403, admin: 200 };

export const ms = (name = 'web') => testMicroservice({ microservice_name: name });
export const sla = (name: string, microservices: unknown[] = [ms()], applicationID = '') =>
  testSla(name, microservices, { applicationID });

type Reply = Awaited<ReturnType<TestRoot['call']>>;

/**
 * The matrix's one real root, a token per caller, the objects the routes act on (alice owns them),
 * and every response body, so a later test can search them all. Made when the suite is collected
 * (the route tables read its fields lazily); `start` boots the root.
 */
export class Matrix {
  readonly tokens: Partial<Record<Caller, string>> = { bad: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad' };
  readonly bodies: string[] = [];
  appId = '';
  serviceId = '';
  ownUserId = '';
  orgId = '';
  private counter = 0;
  private t: TestRoot | undefined;

  async start(): Promise<void> {
    const t = await startHttpRoot();
    this.t = t;
    this.tokens.admin = (await t.login('Admin', t.adminPassword)).token;
    const alice = await t.addUser(this.tokens.admin, 'alice');
    this.ownUserId = alice.id;
    this.tokens.own = alice.token;
    this.tokens.other = (await t.addUser(this.tokens.admin, 'bob')).token;
    ({ appId: this.appId, serviceId: this.serviceId } = await this.freshApp());
    this.orgId = (await this.call('admin', 'POST', '/api/organizations', { name: 'acme' })).body.id;
    this.tokens.apitoken = (await this.call('admin', 'POST', '/api/tokens', { name: 'matrix hlo' })).body.token;
  }

  async stop(): Promise<void> {
    await this.t?.stop();
  }

  async call(caller: Caller, method: string, path: string, body?: unknown): Promise<Reply> {
    if (this.t === undefined) {
      throw new Error('the matrix root is not started');
    }
    const token = this.tokens[caller];
    const res = await this.t.call(method, path, {
      ...(token ? { token } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    if (res.body !== undefined) {
      this.bodies.push(JSON.stringify(res.body));
    }
    return res;
  }

  unique(prefix: string): string {
    return `${prefix}${++this.counter}`;
  }

  async freshApp(owner: Caller = 'own'): Promise<{ appId: string; serviceId: string }> {
    const res = await this.call(owner, 'POST', '/api/application', sla(this.unique('app')));
    return { appId: res.body.applications[0].applicationID, serviceId: res.body.applications[0].microservices[0] };
  }
}
