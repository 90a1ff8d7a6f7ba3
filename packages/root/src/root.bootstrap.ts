import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { configureEdge, httpsOptions } from '@canopy/nest-edge';
import { k8sBodyErrors } from './aeros/k8s/k8s-status.filter';
import { setupOpenApi } from './common/openapi';
import { resolveSecrets, type RootConfig } from './config/root-config';
import { MongoStore } from './persistence/mongo.store';
import { SecretBox, sealRegistryPasswords } from './persistence/sealed-secrets';
import { SqliteStore } from './persistence/sqlite.store';
import type { Store } from './persistence/store.port';
import { RootModule } from './root.module';
import { UsersService, type AdminBootstrap } from './users/users.service';

export interface RootHandle {
  port: number;
  url: string;
  admin: AdminBootstrap;
  clusterToken: string;
  /** True when the cluster token was generated at this start (print it once). */
  clusterTokenGenerated: boolean;
  stop(): Promise<void>;
}

/** Test seams only, never reachable from configuration. */
export interface RootTestOptions {
  /** Wraps the store before anything uses it (tests give SQLite a network store's latency). */
  wrapStore?: (store: Store) => Store;
  /** Called when a quota reservation queues behind another of the same owner (the lock is held). */
  onQuotaWait?: (ownerId: string) => void;
}

/** Starts the root orchestrator: REST API and the clusters' Socket.IO endpoint on one port. */
export async function startRoot(
  config: RootConfig,
  parent?: Logger,
  testing: RootTestOptions = {},
): Promise<RootHandle> {
  const log = (parent ?? pino({ name: 'canopy' })).child({ tier: 'root' });
  const secrets = resolveSecrets(config);
  // MONGODB_URI selects MongoDB; otherwise the embedded SQLite file in the data directory.
  const opened: Store = config.mongodbUri
    ? await MongoStore.connect(config.mongodbUri)
    : new SqliteStore(config.dataDir);
  const store = testing.wrapStore ? testing.wrapStore(opened) : opened;
  // Registry passwords reach the file or the database sealed, whichever store it is.
  sealRegistryPasswords(store, new SecretBox(secrets.storeKey));
  const app = await NestFactory.create<NestExpressApplication>(
    RootModule.forRoot({ config, secrets, store, log, onQuotaWait: testing.onQuotaWait }),
    {
      bufferLogs: true,
      bodyParser: false,
      ...httpsOptions(config.tlsCertFile, config.tlsKeyFile),
    },
  );
  // Oakestra's dashboard is served from its own origin and calls the API with a bearer token;
  // cookies are never used, so no origin is ever given credentials.
  app.enableCors({
    origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });
  configureEdge(app, { log, bodyLimit: config.bodyLimit });
  // kubectl decodes only Kubernetes `Status` errors, also for a body the parser refused.
  app.use('/k8s', k8sBodyErrors);
  setupOpenApi(app);
  // The first admin exists before the port opens, so no login can race its creation.
  await app.init();
  const admin = await app.get(UsersService).bootstrapAdmin();
  await app.listen(config.port, config.host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = `${config.tlsCertFile === undefined ? 'http' : 'https'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  log.info({ url }, 'root listening');
  return {
    port,
    url,
    admin,
    clusterToken: secrets.clusterToken,
    clusterTokenGenerated: secrets.clusterTokenGenerated,
    stop: async () => {
      await app.close();
      await store.close();
    },
  };
}
