import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiTokensModule } from '../api-tokens/api-tokens.module';
import { JWT_ISSUER, ROOT_CONFIG, ROOT_SECRETS } from '../common/tokens';
import type { RootConfig, RootSecrets } from '../config/root-config';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { LoginThrottleGuard } from './login-throttle.guard';

@Module({
  imports: [
    UsersModule,
    ApiTokensModule,
    ThrottlerModule.forRootAsync({
      inject: [ROOT_CONFIG],
      useFactory: (config: RootConfig) => [{ name: 'login', ttl: 60_000, limit: config.loginRateLimit }],
    }),
    JwtModule.registerAsync({
      inject: [ROOT_SECRETS],
      useFactory: (secrets: RootSecrets) => ({
        secret: secrets.jwtSecret,
        signOptions: { algorithm: 'HS256', issuer: JWT_ISSUER },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, LoginThrottleGuard, { provide: APP_GUARD, useClass: JwtAuthGuard }],
  exports: [AuthService],
})
export class AuthModule {}
