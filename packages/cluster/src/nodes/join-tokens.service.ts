import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { NotFoundError } from '@canopy/nest-edge';
import type { Logger } from 'pino';
import { Clock } from '../common/clock';
import { constantTimeEqual, sha256 } from '../common/secrets';
import { CLUSTER_CONFIG, CLUSTER_LOGGER } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { NodeTokenService } from './node-token.service';

const FILE = 'join-tokens.json';
/** kubeadm's default: a bootstrap token lives a day unless told otherwise. */
export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 24 * 60 * 60;
/** A token id as kubeadm spells them: 6 lowercase letters or digits. */
export const JOIN_TOKEN_ID = /^[a-z0-9]{6}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A join token as listed: never its secret (that is shown once, when created). */
export interface JoinTokenView {
  id: string;
  description?: string | undefined;
  createdAt: string;
  /** absent: never expires (ttlSeconds 0) */
  expiresAt?: string | undefined;
  expired: boolean;
}

interface StoredToken {
  id: string;
  secretSha256: string;
  description?: string | undefined;
  createdAt: number;
  expiresAt?: number | undefined;
}

function randomToken(length: number): string {
  return [...randomBytes(length)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

/**
 * Bootstrap tokens (`<id>.<secret>`, as `kubeadm token create` prints them) that an operator
 * creates, lists and revokes. They only let a node register a name no node holds yet; the
 * cluster's default join token (NODE_TOKEN or the generated `node-token` file) is one more such
 * token that never expires. Kept hashed in `join-tokens.json` (mode 0600) in the data directory.
 */
@Injectable()
export class JoinTokensService {
  private readonly file: string;
  private readonly tokens = new Map<string, StoredToken>();
  private readonly log: Logger;

  constructor(
    @Inject(CLUSTER_CONFIG) config: ClusterConfig,
    @Inject(CLUSTER_LOGGER) logger: Logger,
    private readonly defaultToken: NodeTokenService,
    private readonly clock: Clock,
  ) {
    this.log = logger.child({ component: 'join-tokens' });
    this.file = join(config.dataDir, FILE);
    if (existsSync(this.file)) {
      for (const t of JSON.parse(readFileSync(this.file, 'utf8')) as StoredToken[]) {
        this.tokens.set(t.id, t);
      }
    }
  }

  create(ttlSeconds = DEFAULT_JOIN_TOKEN_TTL_SECONDS, description?: string): JoinTokenView & { token: string } {
    let id = randomToken(6);
    while (this.tokens.has(id)) {
      id = randomToken(6);
    }
    const secret = randomToken(16);
    const now = this.clock.now();
    const stored: StoredToken = {
      id,
      secretSha256: sha256(secret),
      createdAt: now,
      ...(description === undefined ? {} : { description }),
      ...(ttlSeconds === 0 ? {} : { expiresAt: now + ttlSeconds * 1000 }),
    };
    this.tokens.set(id, stored);
    this.save();
    this.log.info({ tokenId: id, expiresAt: stored.expiresAt }, 'join token created');
    return { ...this.view(stored), token: `${id}.${secret}` };
  }

  list(): JoinTokenView[] {
    return [...this.tokens.values()].sort((a, b) => a.createdAt - b.createdAt).map((t) => this.view(t));
  }

  /** @throws NotFoundError when no token has that id. */
  revoke(id: string): void {
    if (!this.tokens.delete(id)) {
      throw new NotFoundError('join token', id);
    }
    this.save();
    this.log.info({ tokenId: id }, 'join token revoked');
  }

  /** Whether `presented` is the default join token or a created one that has not expired. */
  accepts(presented: string): boolean {
    if (this.defaultToken.matches(presented)) {
      return true;
    }
    const [id, secret] = presented.split('.');
    const stored = id === undefined ? undefined : this.tokens.get(id);
    // Compare even for unknown ids, so timing does not tell which ids exist.
    const matches = constantTimeEqual(sha256(secret ?? ''), stored?.secretSha256 ?? '');
    return matches && stored !== undefined && !this.isExpired(stored);
  }

  private isExpired(t: StoredToken): boolean {
    return t.expiresAt !== undefined && t.expiresAt <= this.clock.now();
  }

  private view(t: StoredToken): JoinTokenView {
    return {
      id: t.id,
      ...(t.description === undefined ? {} : { description: t.description }),
      createdAt: new Date(t.createdAt).toISOString(),
      ...(t.expiresAt === undefined ? {} : { expiresAt: new Date(t.expiresAt).toISOString() }),
      expired: this.isExpired(t),
    };
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.tokens.values()]), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
