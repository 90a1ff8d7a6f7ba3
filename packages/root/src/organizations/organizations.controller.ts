import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { AdminOnly } from '../auth/principal';
import type { OrganizationRecord } from '../persistence/records';
import { CreateOrganizationDto, UpdateOrganizationDto } from './dto/organization.dto';
import { OrganizationsService } from './organizations.service';

export interface OrganizationView {
  id: string;
  name: string;
  description: string;
  version: number;
}

function toView(o: OrganizationRecord): OrganizationView {
  return { id: o.id, name: o.name, description: o.description, version: o.version };
}

@AdminOnly()
@ApiTags('organizations')
@ApiAuthenticated()
@Controller('api')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get('organizations')
  async list(): Promise<OrganizationView[]> {
    return (await this.organizations.list()).map(toView);
  }

  @Post('organizations')
  async create(@Body() body: CreateOrganizationDto): Promise<OrganizationView> {
    return toView(await this.organizations.create(body));
  }

  @Get('organization/:id')
  async get(@Param('id') id: string): Promise<OrganizationView> {
    return toView(await this.organizations.get(id));
  }

  @Put('organization/:id')
  async update(@Param('id') id: string, @Body() body: UpdateOrganizationDto): Promise<OrganizationView> {
    return toView(await this.organizations.update(id, body));
  }

  @Delete('organization/:id')
  @HttpCode(200)
  async delete(@Param('id') id: string): Promise<{ deleted: string }> {
    await this.organizations.delete(id);
    return { deleted: id };
  }
}
