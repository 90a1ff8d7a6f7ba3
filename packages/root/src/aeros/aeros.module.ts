import { Module } from '@nestjs/common';
import { AerosComponentsModule } from './components.module';
import { HloAllocationController } from './hlo/hlo-allocation.controller';
import { LloApiController } from './llo/llo-api.controller';
import { LloExceptionFilter } from './llo/llo-exception.filter';

/** The aerOS dialect's HTTP surfaces: the LLO API (and, beside it, `/k8s` and `/hlo_al`). */
@Module({
  imports: [AerosComponentsModule],
  controllers: [LloApiController, HloAllocationController],
  providers: [LloExceptionFilter],
})
export class AerosModule {}
