import { Module } from '@nestjs/common';
import { UsersAdmin } from './users.admin';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({ controllers: [UsersController], providers: [UsersService, UsersAdmin], exports: [UsersService] })
export class UsersModule {}
