import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { AdminOnly, CurrentUser, type Principal } from '../auth/principal';
import { CreateUserDto, UpdateUserDto } from './dto/user.dto';
import { UsersAdmin } from './users.admin';
import { toPublicUser, type PublicUser } from './users.service';

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

  @Get('users/me')
  async me(@CurrentUser() caller: Principal): Promise<PublicUser> {
    return toPublicUser(await this.users.get(caller, caller.userId));
  }

  @Get('user/:id')
  async get(@CurrentUser() caller: Principal, @Param('id') id: string): Promise<PublicUser> {
    return toPublicUser(await this.users.get(caller, id));
  }

  @Put('user/:id')
  async update(
    @CurrentUser() caller: Principal,
    @Param('id') id: string,
    @Body() body: UpdateUserDto,
  ): Promise<PublicUser> {
    return toPublicUser(await this.users.update(caller, id, body));
  }

  @AdminOnly()
  @Delete('user/:id')
  @HttpCode(200)
  async delete(@CurrentUser() caller: Principal, @Param('id') id: string): Promise<{ deleted: string }> {
    await this.users.delete(caller, id);
    return { deleted: id };
  }
}
