import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Role } from '../persistence/records';

/** The authenticated caller, as the guard put it on the request. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  /**
   * How a machine client got in (absent for a user's JWT): an API token (its id, for audit logs),
   * or no header from AEROS_TRUSTED_NETWORKS (the socket's remote address). Either way `userId` is
   * the aerOS service account's.
   */
  credential?: { kind: 'api-token'; tokenId: string } | { kind: 'trusted-network'; address: string };
}

export function isAdmin(p: Principal): boolean {
  return p.role === 'Admin';
}

export const IS_PUBLIC = 'canopy:public';
/** Marks a route that needs no token (login, refresh, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const AEROS_API = 'canopy:aeros-api';
/**
 * Marks the aerOS surfaces (LLO API, `/k8s`, `/hlo_al`): besides a user's JWT they accept the
 * long-lived API tokens an admin mints for machine clients, and requests from
 * `AEROS_TRUSTED_NETWORKS` acting as the aerOS service account.
 */
export const AerosApi = () => SetMetadata(AEROS_API, true);

export const ROLES = 'canopy:roles';
/** Marks a route (or controller) only admins may call; others get 403. */
export const AdminOnly = () => SetMetadata(ROLES, ['Admin'] satisfies Role[]);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
  if (!req.principal) {
    throw new Error('CurrentUser used on a public route');
  }
  return req.principal;
});
