import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { InstancesModule } from '../instances/instances.module';
import { ServicesController } from './services.controller';
import { ServicesService } from './services.service';

@Module({
  imports: [ApplicationsModule, InstancesModule],
  controllers: [ServicesController],
  providers: [ServicesService],
  exports: [ServicesService],
})
export class ServicesModule {}
