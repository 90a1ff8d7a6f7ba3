import { Global, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { UnauthorizedError, YAML_MEDIA_TYPES } from '@canopy/nest-edge';
import { FakeComponents } from './fake-components';
import { IS_PUBLIC, type Principal } from '../../src/auth/principal';
import { LOGGER } from '../../src/common/tokens';
import { COMPONENTS } from '../../src/aeros/components.port';
import { k8sBodyErrors } from '../../src/aeros/k8s/k8s-status.filter';
import { K8sModule } from '../../src/aeros/k8s/k8s.module';

const USERS: Record<string, Principal> = {
  alice: { userId: 'u-alice', username: 'alice', role: 'Application_Provider' },
  bob: { userId: 'u-bob', username: 'bob', role: 'Application_Provider' },
};

/** Stands in for JwtAuthGuard: `Bearer alice` is alice; no token is the same UnauthorizedError. */
@Injectable()
class TestAuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(ctx: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()])) {
      return true;
    }
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string>; principal?: Principal }>();
    const user = USERS[(req.headers.authorization ?? '').replace(/^Bearer /, '')];
    if (!user) {
      throw new UnauthorizedError('missing bearer token');
    }
    req.principal = user;
    return true;
  }
}

/** The in-memory components port behind the app (one per test file: jest loads modules per file). */
export const fake = new FakeComponents();

@Module({ providers: [{ provide: COMPONENTS, useValue: fake }], exports: [COMPONENTS] })
class FakeComponentsModule {}

@Global()
@Module({ providers: [{ provide: LOGGER, useValue: pino({ level: 'silent' }) }], exports: [LOGGER] })
class TestCoreModule {}

@Module({
  imports: [TestCoreModule, K8sModule.register(FakeComponentsModule)],
  providers: [{ provide: APP_GUARD, useClass: TestAuthGuard }],
})
class TestAppModule {}

export const BASE = '/k8s/apis/llo.aeros-project.eu/v1alpha1';
export const SCD = `${BASE}/namespaces/default/servicecomponentdockers`;
export const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export function cr(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'llo.aeros-project.eu/v1alpha1',
    kind: 'ServiceComponentDocker',
    metadata: { name, labels: { tier: 'web' } },
    spec: { selectedIE: { id: 'urn:ngsi-ld:InfrastructureElement:d:n1', hostname: 'n1' }, image: 'nginx:1' },
    ...extra,
  };
}

export interface K8sReply {
  status: number;
  // Responses are asserted field by field, as kubectl reads them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  type: string | null;
}

/** The `/k8s` controllers in a Nest app on a loopback port, behind a stand-in auth guard and {@link fake}. */
export interface K8sTestApp {
  url: string;
  /** `user` defaults to alice; `null` sends no token. */
  call(
    method: string,
    path: string,
    opts?: { user?: string | null; body?: unknown; type?: string; accept?: string },
  ): Promise<K8sReply>;
  close(): Promise<void>;
}

export async function startK8sTestApp(): Promise<K8sTestApp> {
  const app = await NestFactory.create<NestExpressApplication>(TestAppModule, { bodyParser: false, logger: false });
  app.useBodyParser('json', { limit: '16kb', type: ['application/json', 'application/*+json'] });
  app.useBodyParser('text', { limit: '16kb', type: YAML_MEDIA_TYPES });
  app.use('/k8s', k8sBodyErrors);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return {
    url,
    call: (method, path, opts = {}) => call(url, method, path, opts),
    close: () => app.close(),
  };
}

async function call(
  url: string,
  method: string,
  path: string,
  opts: { user?: string | null; body?: unknown; type?: string; accept?: string } = {},
): Promise<K8sReply> {
  const headers: Record<string, string> = {};
  if (opts.user !== null) {
    headers.authorization = `Bearer ${opts.user ?? 'alice'}`;
  }
  if (opts.body !== undefined) {
    headers['content-type'] = opts.type ?? 'application/json';
  }
  if (opts.accept) {
    headers.accept = opts.accept;
  }
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? null : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  return { status: res.status, body, type: res.headers.get('content-type') };
}
