import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CurrentUser, type Principal } from '../auth/principal';
import { parseIndexParam } from '../common/schema-validation.pipe';
import { ServicesService } from './services.service';
import { toInstanceView, toServiceView, type InstanceView, type ServiceView } from './views';

@Controller('api')
export class ServicesController {
  constructor(private readonly services: ServicesService) {}

  @Get('services/:appId')
  async list(@CurrentUser() user: Principal, @Param('appId') appId: string): Promise<ServiceView[]> {
    return (await this.services.listForApplication(user, appId)).map((s) => toServiceView(s.service, s.instances));
  }

  @Get('service/:id')
  async get(@CurrentUser() user: Principal, @Param('id') id: string): Promise<ServiceView> {
    const { service, instances } = await this.services.get(user, id);
    return toServiceView(service, instances);
  }

  @Post('service/:id/instance')
  @HttpCode(200)
  async deploy(@CurrentUser() user: Principal, @Param('id') id: string): Promise<InstanceView> {
    const { service, instance } = await this.services.deployInstance(user, id);
    return toInstanceView(service, instance);
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
