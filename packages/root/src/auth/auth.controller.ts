import { ApiTags } from '@nestjs/swagger';
import { ApiPublicErrors } from '../common/openapi';
import { Body, Controller, Headers, HttpCode, Post, UseGuards } from '@nestjs/common';
import { UnauthorizedError } from '@canopy/schema';
import { AuthService } from './auth.service';
import { LoginDto, RefreshDto, type TokenPair } from './dto/login.dto';
import { LoginThrottleGuard } from './login-throttle.guard';
import { Public } from './principal';

@ApiTags('auth')
@ApiPublicErrors()
@Controller('api/auth')
@UseGuards(LoginThrottleGuard)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: LoginDto): Promise<TokenPair> {
    return this.auth.login(body.username, body.password);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshDto, @Headers('authorization') authorization?: string): Promise<TokenPair> {
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : '';
    const token = body.refresh_token ?? bearer;
    if (token === '')
      throw new UnauthorizedError('a refresh token is required (body refresh_token or a Bearer header)');
    return this.auth.refresh(token);
  }
}
