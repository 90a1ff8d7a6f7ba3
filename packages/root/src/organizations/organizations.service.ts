import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, StaleVersionError } from '@canopy/schema';
import type { OrganizationRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import type { CreateOrganizationDto, UpdateOrganizationDto } from './dto/organization.dto';

/** Organizations group users; applications stay owned by one user each. Admins manage them. */
@Injectable()
export class OrganizationsService {
  constructor(@Inject(STORE) private readonly store: Store) {}

  list(): Promise<OrganizationRecord[]> {
    return this.store.organizations.find();
  }

  async get(id: string): Promise<OrganizationRecord> {
    const org = await this.store.organizations.get(id);
    if (!org) {
      throw new NotFoundError('organization', id);
    }
    return org;
  }

  async create(body: CreateOrganizationDto): Promise<OrganizationRecord> {
    if ((await this.store.organizations.find({ name: body.name })).length > 0) {
      throw new ConflictError(
        `organization ${body.name} already exists`,
        [{ path: 'name', message: 'is taken' }],
        'ORGANIZATION_NAME_TAKEN',
      );
    }
    return this.store.organizations.insert({ id: randomUUID(), name: body.name, description: body.description ?? '' });
  }

  async update(id: string, body: UpdateOrganizationDto): Promise<OrganizationRecord> {
    const org = await this.get(id);
    if (body.version !== undefined && body.version !== org.version) {
      throw new StaleVersionError('organization', id);
    }
    return this.store.organizations.update({ ...org, description: body.description ?? org.description });
  }

  async delete(id: string): Promise<void> {
    const org = await this.get(id);
    const members = await this.store.users.find({ organizationId: id });
    if (members.length > 0) {
      throw new ConflictError(
        `organization ${org.name} still has ${members.length} member(s)`,
        [],
        'ORGANIZATION_HAS_MEMBERS',
      );
    }
    await this.store.organizations.delete(id);
  }
}
