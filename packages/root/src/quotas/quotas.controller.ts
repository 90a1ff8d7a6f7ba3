import { ApiTags } from '@nestjs/swagger';
import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { NotFoundError } from '@canopy/nest-edge';
import { AdminOnly, CurrentUser, type Principal } from '../auth/principal';
import { ApiAuthenticated } from '../common/openapi';
import { QuotaService, type Demand } from './quota.service';

/** `PUT /api/user/<id>/quota`: each field optional; one left out takes the default. */
export class SetQuotaDto {
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000) instances?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000) vcpus?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000_000) memory_mb?: number;
}

export interface QuotaView {
  quota: { instances: number; vcpus: number; memory_mb: number };
  used: { instances: number; vcpus: number; memory_mb: number };
}

function wire(d: Demand): QuotaView['quota'] {
  return { instances: d.instances, vcpus: d.vcpus, memory_mb: d.memoryMb };
}

@ApiTags('users')
@ApiAuthenticated()
@Controller('api/user/:id/quota')
export class QuotasController {
  constructor(private readonly quotas: QuotaService) {}

  /** A user's quota and what its services use of it; the user itself or an admin (others: 404). */
  @Get()
  async get(@CurrentUser() caller: Principal, @Param('id') id: string): Promise<QuotaView> {
    if (caller.role !== 'Admin' && caller.userId !== id) {
      throw new NotFoundError('user', id);
    }
    return this.view(id);
  }

  @Put()
  @AdminOnly()
  async set(@Param('id') id: string, @Body() body: SetQuotaDto): Promise<QuotaView> {
    await this.quotas.set(id, {
      ...(body.instances === undefined ? {} : { instances: body.instances }),
      ...(body.vcpus === undefined ? {} : { vcpus: body.vcpus }),
      ...(body.memory_mb === undefined ? {} : { memoryMb: body.memory_mb }),
    });
    return this.view(id);
  }

  private async view(id: string): Promise<QuotaView> {
    const limits = await this.quotas.limitsFor(id);
    if ((await this.quotas.exists(id)) === false) {
      throw new NotFoundError('user', id);
    }
    return { quota: wire(limits), used: wire(await this.quotas.usage(id)) };
  }
}
