import { ApiTags } from '@nestjs/swagger';
import { ApiPublicErrors } from '../common/openapi';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
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
  refresh(@Body() body: RefreshDto): Promise<TokenPair> {
    return this.auth.refresh(body.refresh_token);
  }
}
