import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { AdminOnly } from '../auth/principal';
import { CreateOrganizationDto, UpdateOrganizationDto } from './dto/organization.dto';
import { OrganizationsService, type OrganizationWithMembers } from './organizations.service';

export interface OrganizationView {
  /** Oakestra's id shape, beside Canopy's `id`. */
  _id: { $oid: string };
  id: string;
  name: string;
  description: string;
  version: number;
  /** Oakestra's membership list: each member's user id and roles. */
  member: { user_id: string; roles: string[] }[];
}

function toView({ organization: o, members }: OrganizationWithMembers): OrganizationView {
  return {
    _id: { $oid: o.id },
    id: o.id,
    name: o.name,
    description: o.description,
    version: o.version,
    member: members.map((u) => ({ user_id: u.id, roles: [u.role] })),
  };
}

/** Canopy's `/api/organizations` and Oakestra's `/api/organization/` (the dashboard's), same objects. */
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

  @Get('organization')
  async listOakestra(): Promise<OrganizationView[]> {
    return this.list();
  }

  @Post('organizations')
  async create(@Body() body: CreateOrganizationDto): Promise<OrganizationView> {
    return toView(await this.organizations.create(body));
  }

  @Post('organization')
  async createOakestra(@Body() body: CreateOrganizationDto): Promise<OrganizationView> {
    return this.create(body);
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
