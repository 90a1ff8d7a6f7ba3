import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import {
  OakestraServiceBodyInterceptor,
  OakestraServiceUpdateBodyInterceptor,
} from '../common/oakestra-body.interceptor';
import { SlaDescriptor } from '@canopy/schema';
import { CurrentUser, type Principal } from '../auth/principal';
import { ValidationFailedError, parseIndexParam } from '@canopy/nest-edge';
import {
  toApplicationView,
  toInstanceView,
  toServiceView,
  type ApplicationView,
  type InstanceView,
  type ServiceView,
} from './views';
import { ServiceUpdateDto } from './dto/service-update.dto';
import { ServicesService } from './services.service';
import { InstanceUsageStore } from '../instances/instance-usage.store';

@ApiTags('services')
@ApiAuthenticated()
@Controller('api')
export class ServicesController {
  constructor(
    private readonly services: ServicesService,
    private readonly usage: InstanceUsageStore,
  ) {}

  @Post('service')
  @UseInterceptors(OakestraServiceBodyInterceptor)
  async create(
    @CurrentUser() user: Principal,
    @Body() sla: SlaDescriptor,
  ): Promise<{ applications: ApplicationView[] }> {
    return { applications: [toApplicationView(await this.services.create(user, sla))] };
  }

  /** Oakestra's CLI lists every service with `GET /api/services/` (no application). */
  @Get('services')
  async listAll(@CurrentUser() user: Principal): Promise<ServiceView[]> {
    const locations = await this.services.clusterLocations();
    return (await this.services.listAll(user)).map((s) =>
      toServiceView(s.service, s.instances, locations, this.usage.lookup),
    );
  }

  @Get('services/:appId')
  async list(@CurrentUser() user: Principal, @Param('appId') appId: string): Promise<ServiceView[]> {
    const locations = await this.services.clusterLocations();
    return (await this.services.listForApplication(user, appId)).map((s) =>
      toServiceView(s.service, s.instances, locations, this.usage.lookup),
    );
  }

  @Get('service/:id')
  async get(@CurrentUser() user: Principal, @Param('id') id: string): Promise<ServiceView> {
    const { service, instances } = await this.services.get(user, id);
    return toServiceView(service, instances, await this.services.clusterLocations(), this.usage.lookup);
  }

  @Put('service/:id')
  @UseInterceptors(OakestraServiceUpdateBodyInterceptor)
  async update(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Body() body: ServiceUpdateDto,
  ): Promise<ServiceView> {
    const { service, instances } = await this.services.update(user, id, body);
    return toServiceView(service, instances);
  }

  @Delete('service/:id')
  @HttpCode(200)
  async delete(@CurrentUser() user: Principal, @Param('id') id: string): Promise<{ deleted: string }> {
    await this.services.delete(user, id);
    return { deleted: id };
  }

  @Post('service/:id/instance')
  @HttpCode(200)
  async deploy(@CurrentUser() user: Principal, @Param('id') id: string): Promise<InstanceView> {
    const { service, instance } = await this.services.deployInstance(user, id);
    return toInstanceView(service, instance);
  }

  /** The last `tail` lines (default 100, at most 10000) of the instance's container log. */
  @Get('service/:id/instance/:n/logs')
  async logs(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Param('n') n: string,
    @Query('tail') tail?: string,
  ): Promise<{ instance_number: number; lines: string[] }> {
    const instanceNumber = parseIndexParam('n', n);
    const count = tail === undefined ? 100 : parseIndexParam('tail', tail);
    if (count < 1 || count > 10_000) {
      throw new ValidationFailedError([{ path: 'tail', message: 'tail must be 1-10000' }]);
    }
    return {
      instance_number: instanceNumber,
      lines: await this.services.instanceLogs(user, id, instanceNumber, count),
    };
  }

  /**
   * Oakestra's dashboard joins `/instance` and the number without a slash
   * (`/api/service/<id>/instance0`); the same call as below.
   */
  @Delete('service/:id/instance:n')
  @HttpCode(200)
  async undeployOakestra(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Param('n') n: string,
  ): Promise<InstanceView> {
    return this.undeploy(user, id, n);
  }

  @Delete('service/:id/instance/:n')
  @HttpCode(200)
  async undeploy(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Param('n') n: string,
  ): Promise<InstanceView> {
    const { service, instance } = await this.services.undeployInstance(user, id, parseIndexParam('n', n));
    return toInstanceView(service, instance);
  }
}
