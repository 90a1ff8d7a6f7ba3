import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { QuotasModule } from '../quotas/quotas.module';
import { ApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';

@Module({
  imports: [InstancesModule, QuotasModule],
  controllers: [ApplicationsController],
  providers: [ApplicationsService],
  exports: [ApplicationsService],
})
export class ApplicationsModule {}
