import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LOG_REDACTION } from '@canopy/schema';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import {
  CLOCK,
  LOGGER,
  QUOTA_WAIT_PROBE,
  ROOT_CONFIG,
  ROOT_SECRETS,
  systemClock,
  type QuotaWaitProbe,
} from './common/tokens';
import type { RootConfig, RootSecrets } from './config/root-config';
import { STORE, type Store } from './persistence/store.port';
import { STORE_CHANGES, StoreChanges, observedStore } from './persistence/store-changes';

export interface RootDeps {
  config: RootConfig;
  secrets: RootSecrets;
  store: Store;
  log: Logger;
  /** Test seam (RootTestOptions); a no-op otherwise. */
  onQuotaWait?: QuotaWaitProbe | undefined;
}

/** The ports and settings every feature module receives: config, secrets, store (and its change hook), logger, clock. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(deps: RootDeps): DynamicModule {
    // Every feature gets the store through the change hook, so whoever needs to react to writes
    // subscribes to STORE_CHANGES instead of wrapping the store.
    const changes = new StoreChanges();
    const providers = [
      { provide: ROOT_CONFIG, useValue: deps.config },
      { provide: ROOT_SECRETS, useValue: deps.secrets },
      { provide: STORE, useValue: observedStore(deps.store, changes) },
      { provide: STORE_CHANGES, useValue: changes },
      { provide: LOGGER, useValue: deps.log },
      { provide: CLOCK, useValue: systemClock },
      { provide: QUOTA_WAIT_PROBE, useValue: deps.onQuotaWait ?? (() => undefined) },
    ];
    return {
      module: CoreModule,
      // Nest's own messages go through the same pino logger; per-request logs only on LOG_HTTP=true,
      // and never with a credential: JWTs and API tokens travel in Authorization (SPEC §9).
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: deps.log,
            autoLogging: deps.config.logHttp,
            // Credential headers, cookies, passwords and tokens show as `[redacted]` (SPEC §9).
            redact: LOG_REDACTION,
          },
        }),
      ],
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}
