import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { AdminOnly, CurrentUser, type Principal } from '../auth/principal';
import type { Role } from '../persistence/records';
import { ChangePasswordDto, CreateUserDto, RegisterUserDto, UpdateUserDto } from './dto/user.dto';
import { UsersAdmin } from './users.admin';
import { toPublicUser, type PublicUser } from './users.service';

/**
 * Users by id (Canopy) or by name (Oakestra's dashboard builds `/api/user/<name>`); `:key` takes
 * either, an id first.
 */
@ApiTags('users')
@ApiAuthenticated()
@Controller('api')
export class UsersController {
  constructor(private readonly users: UsersAdmin) {}

  @AdminOnly()
  @Get('users')
  async list(): Promise<PublicUser[]> {
    return (await this.users.list()).map(toPublicUser);
  }

  @AdminOnly()
  @Post('users')
  async create(@Body() body: CreateUserDto): Promise<PublicUser> {
    return toPublicUser(await this.users.create(body));
  }

  /** Oakestra's registration: an admin creates a user `{name, email, password, roles}`. */
  @AdminOnly()
  @Post('auth/register')
  async register(@Body() body: RegisterUserDto): Promise<PublicUser> {
    return toPublicUser(await this.users.register(body));
  }

  @Get('users/me')
  async me(@CurrentUser() caller: Principal): Promise<PublicUser> {
    return toPublicUser(await this.users.get(caller, caller.userId));
  }

  /** Oakestra's `GET /api/users/<organization_id>`: the organization's members. */
  @AdminOnly()
  @Get('users/:organizationId')
  async listForOrganization(@Param('organizationId') organizationId: string): Promise<PublicUser[]> {
    return (await this.users.listForOrganization(organizationId)).map(toPublicUser);
  }

  @Get('user/:id')
  async get(@CurrentUser() caller: Principal, @Param('id') key: string): Promise<PublicUser> {
    return toPublicUser(await this.users.get(caller, key));
  }

  @Put('user/:id')
  async update(
    @CurrentUser() caller: Principal,
    @Param('id') key: string,
    @Body() body: UpdateUserDto,
  ): Promise<PublicUser> {
    return toPublicUser(await this.users.update(caller, key, body));
  }

  /** Oakestra's password change `{oldPassword, newPassword}`; every older session ends. */
  @Post('user/:id')
  @HttpCode(200)
  async changePassword(
    @CurrentUser() caller: Principal,
    @Param('id') key: string,
    @Body() body: ChangePasswordDto,
  ): Promise<PublicUser> {
    return toPublicUser(await this.users.changePassword(caller, key, body.oldPassword, body.newPassword));
  }

  @AdminOnly()
  @Delete('user/:id')
  @HttpCode(200)
  async delete(@CurrentUser() caller: Principal, @Param('id') key: string): Promise<{ deleted: string }> {
    const user = await this.users.delete(caller, key);
    return { deleted: user.id };
  }

  /** Oakestra's `GET /api/permission/<name>`: the user's roles (its own, or anyone's for an admin). */
  @Get('permission/:id')
  async permission(@CurrentUser() caller: Principal, @Param('id') key: string): Promise<{ roles: Role[] }> {
    return { roles: [(await this.users.get(caller, key)).role] };
  }
}
