import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';

/**
 * AES-256-GCM for the few secrets records carry (registry passwords), so neither the SQLite file
 * nor a MongoDB dump holds them in clear. The key lives apart from the data (the root's
 * `secrets.json`, the cluster's `store-key`, both 0600).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = Buffer.from(key, 'base64url');
    if (this.key.length !== 32) {
      throw new Error('the store key must be 32 bytes (base64url)');
    }
  }

  seal(plain: string): string {
    if (plain.startsWith(PREFIX)) {
      return plain;
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** A value written before sealing existed (no prefix) reads as it is. */
  open(value: string): string {
    if (!value.startsWith(PREFIX)) {
      return value;
    }
    const raw = Buffer.from(value.slice(PREFIX.length), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
