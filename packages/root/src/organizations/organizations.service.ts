import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, StaleVersionError, ValidationFailedError } from '@canopy/schema';
import type { OrganizationRecord, UserRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import type { CreateOrganizationDto, OrganizationMemberDto, UpdateOrganizationDto } from './dto/organization.dto';

export interface OrganizationWithMembers {
  organization: OrganizationRecord;
  members: UserRecord[];
}

/**
 * Organizations group users (a user's `organizationId`; Oakestra's `member[]` is derived from it);
 * applications stay owned by one user each. Admins manage them.
 */
@Injectable()
export class OrganizationsService {
  constructor(@Inject(STORE) private readonly store: Store) {}

  async list(): Promise<OrganizationWithMembers[]> {
    const [organizations, users] = await Promise.all([this.store.organizations.find(), this.store.users.find()]);
    return organizations.map((organization) => ({
      organization,
      members: users.filter((u) => u.organizationId === organization.id),
    }));
  }

  async get(id: string): Promise<OrganizationWithMembers> {
    const organization = await this.record(id);
    return { organization, members: await this.store.users.find({ organizationId: id }) };
  }

  async create(body: CreateOrganizationDto): Promise<OrganizationWithMembers> {
    if ((await this.store.organizations.find({ name: body.name })).length > 0)
      throw new ConflictError(
        `organization ${body.name} already exists`,
        [{ path: 'name', message: 'is taken' }],
        'ORGANIZATION_NAME_TAKEN',
      );
    const members = await this.resolveMembers(body.member ?? []);
    const organization = await this.store.organizations.insert({
      id: randomUUID(),
      name: body.name,
      description: body.description ?? '',
    });
    await this.setMembers(organization.id, members);
    return this.get(organization.id);
  }

  async update(id: string, body: UpdateOrganizationDto): Promise<OrganizationWithMembers> {
    const org = await this.record(id);
    if (body.version !== undefined && body.version !== org.version) throw new StaleVersionError('organization', id);
    const members = body.member === undefined ? undefined : await this.resolveMembers(body.member);
    await this.store.organizations.update({ ...org, description: body.description ?? org.description });
    if (members !== undefined) await this.setMembers(id, members);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    const org = await this.record(id);
    const members = await this.store.users.find({ organizationId: id });
    if (members.length > 0)
      throw new ConflictError(
        `organization ${org.name} still has ${members.length} member(s)`,
        [],
        'ORGANIZATION_HAS_MEMBERS',
      );
    await this.store.organizations.delete(id);
  }

  private async record(id: string): Promise<OrganizationRecord> {
    const org = await this.store.organizations.get(id);
    if (!org) throw new NotFoundError('organization', id);
    return org;
  }

  private async resolveMembers(member: OrganizationMemberDto[]): Promise<UserRecord[]> {
    const users: UserRecord[] = [];
    for (const [i, m] of member.entries()) {
      const user = await this.store.users.get(m.user_id);
      if (!user)
        throw new ValidationFailedError([
          { path: `member[${i}].user_id`, message: `user ${m.user_id} does not exist` },
        ]);
      users.push(user);
    }
    return users;
  }

  /** The organization's members become exactly `members` (a user belongs to one organization). */
  private async setMembers(id: string, members: UserRecord[]): Promise<void> {
    const wanted = new Set(members.map((u) => u.id));
    for (const u of await this.store.users.find({ organizationId: id })) {
      if (!wanted.has(u.id)) {
        const { organizationId: _gone, ...rest } = u;
        await this.store.users.update(rest);
      }
    }
    for (const u of members) {
      const fresh = await this.store.users.get(u.id);
      if (fresh && fresh.organizationId !== id) await this.store.users.update({ ...fresh, organizationId: id });
    }
  }
}
