import { ApiTags } from '@nestjs/swagger';
import { Controller, Get } from '@nestjs/common';
import { Public } from './auth/principal';

@ApiTags('health')
@Controller()
export class HealthController {
  @Public()
  @Get('health')
  health(): { status: 'ok'; message: string } {
    // `message` is what aerOS's LLO API answers on its own /health, which aerOS clients read.
    return { status: 'ok', message: 'The Canopy LLO API is running' };
  }
}
