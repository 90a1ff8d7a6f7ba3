import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SlaDescriptor } from '@canopy/schema';
import { configureEdge } from '@canopy/nest-edge';
import { ApplicationsModule } from '../../src/applications/applications.module';
import { ApplicationsService } from '../../src/applications/applications.service';
import { AerosApi, CurrentUser, type Principal } from '../../src/auth/principal';
import { resolveSecrets, type RootConfig } from '../../src/config/root-config';
import { SqliteStore } from '../../src/persistence/sqlite.store';
import { RootModule } from '../../src/root.module';
import { UsersService } from '../../src/users/users.service';

/**
 * A test-only controller marked @AerosApi() like the aerOS controllers (LLO API, /k8s, /hlo_al):
 * it reports the principal the guard built and creates and lists applications as that caller, so
 * the tests can check who a machine client is and that what it creates stays visible to it
 * whichever way it authenticated, without needing a live IE as the real CR routes do.
 */
@AerosApi()
@Controller('aeros-probe')
class AerosProbeController {
  constructor(private readonly applications: ApplicationsService) {}

  @Get('whoami')
  whoami(@CurrentUser() caller: Principal): Principal {
    return caller;
  }

  @Post('applications')
  async create(@CurrentUser() caller: Principal, @Body() sla: SlaDescriptor): Promise<{ ids: string[] }> {
    return { ids: (await this.applications.create(caller, sla)).map((a) => a.id) };
  }

  @Get('applications')
  async list(@CurrentUser() caller: Principal): Promise<{ ids: string[] }> {
    return { ids: (await this.applications.list(caller)).map((a) => a.id) };
  }
}

export interface ProbeRoot {
  url: string;
  stop(): Promise<void>;
}

/**
 * The root as `startRoot` builds it (same RootModule, so the same global guard, edge and store),
 * plus the probe controller. Only the SQLite store; the admin is bootstrapped before the port opens.
 */
export async function startRootWithAerosProbe(config: RootConfig, log: Logger): Promise<ProbeRoot> {
  const secrets = resolveSecrets(config);
  const store = new SqliteStore(config.dataDir);

  @Module({
    imports: [RootModule.forRoot({ config, secrets, store, log }), ApplicationsModule],
    controllers: [AerosProbeController],
  })
  class ProbeRootModule {}

  const app = await NestFactory.create<NestExpressApplication>(ProbeRootModule, {
    bufferLogs: true,
    bodyParser: false,
  });
  configureEdge(app, { log, bodyLimit: config.bodyLimit });
  await app.init();
  await app.get(UsersService).bootstrapAdmin();
  await app.listen(config.port, config.host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    url: `http://${config.host}:${port}`,
    stop: async () => {
      await app.close();
      await store.close();
    },
  };
}
