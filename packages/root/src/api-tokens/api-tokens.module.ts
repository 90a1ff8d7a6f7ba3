import { Module } from '@nestjs/common';
import { ApiTokensController } from './api-tokens.controller';
import { ApiTokensService } from './api-tokens.service';
import { ServiceAccountService } from './service-account.service';

@Module({
  controllers: [ApiTokensController],
  providers: [ApiTokensService, ServiceAccountService],
  exports: [ApiTokensService, ServiceAccountService],
})
export class ApiTokensModule {}
