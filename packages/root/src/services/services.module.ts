import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { InstancesModule } from '../instances/instances.module';
import { QuotasModule } from '../quotas/quotas.module';
import { ServicesController } from './services.controller';
import { ServicesService } from './services.service';

@Module({
  imports: [ApplicationsModule, InstancesModule, QuotasModule],
  controllers: [ServicesController],
  providers: [ServicesService],
  exports: [ServicesService],
})
export class ServicesModule {}
