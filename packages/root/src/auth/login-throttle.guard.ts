import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * Login attempts are limited per client address *and* user name: one attacker cannot lock out
 * everyone behind the same NAT, and guessing one account's password stays slow.
 */
@Injectable()
export class LoginThrottleGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const body = req.body as { username?: unknown } | undefined;
    const username = typeof body?.username === 'string' ? body.username.slice(0, 64) : '';
    return Promise.resolve(`${String(req.ip)}|${username}`);
  }
}
