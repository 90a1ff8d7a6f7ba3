import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { AuthService } from '../auth/auth.service';
import type { Principal } from '../auth/principal';
import { LOGGER } from '../common/tokens';
import type { CanopyEvent } from './event-bus';
import { EventsService } from './events.service';

/** The users' Socket.IO namespace (the clusters have `/clusters`). */
export const EVENTS_NAMESPACE = '/events';

interface ServerToUserEvents {
  instance: (event: CanopyEvent) => void;
  service: (event: CanopyEvent) => void;
}
type UserSocket = Socket<Record<string, never>, ServerToUserEvents, Record<string, never>, { principal?: Principal }>;

/**
 * The same events as `GET /api/events`, for dashboards: connect to `/events` with the access token
 * in `auth.token` (and optionally `auth.service` to follow one service). A bad token or a service
 * the user may not see refuses the connection.
 */
@WebSocketGateway({ namespace: EVENTS_NAMESPACE })
export class EventsGateway implements OnGatewayInit, OnGatewayConnection {
  constructor(
    private readonly auth: AuthService,
    private readonly events: EventsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      const { token } = socket.handshake.auth as { token?: unknown };
      if (typeof token !== 'string' || token === '') {
        next(new Error('unauthorized: send the access token in auth.token'));
        return;
      }
      this.auth.verifyAccessToken(token).then(
        (principal) => {
          (socket as UserSocket).data.principal = principal;
          next();
        },
        () => next(new Error('unauthorized: invalid or expired token')),
      );
    });
  }

  async handleConnection(socket: UserSocket): Promise<void> {
    const principal = socket.data.principal;
    if (!principal) {
      socket.disconnect(true);
      return;
    }
    const { service } = socket.handshake.auth as { service?: unknown };
    try {
      const viewer = await this.events.viewerFor(principal, typeof service === 'string' ? service : undefined);
      const unsubscribe = this.events.subscribe(viewer, (event) => socket.emit(event.type, event));
      socket.on('disconnect', unsubscribe);
    } catch (error) {
      this.log.info({ userId: principal.userId, err: error }, 'events subscription refused');
      socket.disconnect(true);
    }
  }
}
