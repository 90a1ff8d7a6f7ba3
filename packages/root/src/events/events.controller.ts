import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, type Principal } from '../auth/principal';
import { ApiAuthenticated } from '../common/openapi';
import { EventsService } from './events.service';

/** Proxies close idle connections after about a minute; a comment line every 15 s keeps them open. */
export const HEARTBEAT_MS = 15_000;

@ApiTags('events')
@ApiAuthenticated()
@Controller('api')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /**
   * Server-Sent Events: `event: instance` and `event: service`, each `data:` one JSON object.
   * Written by hand rather than with Nest's `@Sse()` because that cannot send the comment-line
   * heartbeats.
   */
  @Get('events')
  @ApiOperation({ summary: 'instance status changes and service events you may see, as Server-Sent Events' })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'service', required: false, description: 'only this service (id)' })
  async stream(
    @CurrentUser() user: Principal,
    @Res() res: Response,
    @Query('service') service?: string,
  ): Promise<void> {
    const viewer = await this.events.viewerFor(user, service);
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx buffers responses unless told not to.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(': connected\n\n');
    const unsubscribe = this.events.subscribe(viewer, (event) => {
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  }
}
