import { ApiTags } from '@nestjs/swagger';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { AdminOnly, CurrentUser, type Principal } from '../auth/principal';
import { ApiAuthenticated } from '../common/openapi';
import type { ApiTokenRecord } from '../persistence/records';
import { ApiTokensService } from './api-tokens.service';
import { CreateApiTokenDto, type ApiTokenView, type MintedApiTokenView } from './dto/api-token.dto';

function toView(t: ApiTokenRecord): ApiTokenView {
  return {
    id: t.id,
    name: t.name,
    created_at: t.createdAt,
    expires_at: t.expiresAt ?? null,
    created_by: t.createdBy,
    user_id: t.userId,
  };
}

/** Admins mint, list and revoke the API tokens machine clients (an aerOS HLO) use on the aerOS routes. */
@AdminOnly()
@ApiTags('tokens')
@ApiAuthenticated()
@Controller('api')
export class ApiTokensController {
  constructor(private readonly tokens: ApiTokensService) {}

  @Post('tokens')
  async mint(@CurrentUser() caller: Principal, @Body() body: CreateApiTokenDto): Promise<MintedApiTokenView> {
    const { record, token } = await this.tokens.mint(caller, body.name, body.expires_in_days);
    return { ...toView(record), token };
  }

  @Get('tokens')
  async list(): Promise<ApiTokenView[]> {
    return (await this.tokens.list()).map(toView);
  }

  @Delete('tokens/:id')
  @HttpCode(200)
  async revoke(@CurrentUser() caller: Principal, @Param('id') id: string): Promise<{ deleted: string }> {
    await this.tokens.revoke(caller, id);
    return { deleted: id };
  }
}
