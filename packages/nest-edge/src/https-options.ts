import { readFileSync } from 'node:fs';

/**
 * NestFactory options for an API that speaks HTTPS (and WSS on the same port) from the operator's
 * certificate and key (PEM paths); none when they are unset, so plain HTTP stays the default.
 */
export function httpsOptions(
  certFile: string | undefined,
  keyFile: string | undefined,
): { httpsOptions?: { cert: Buffer; key: Buffer } } {
  if (certFile === undefined || keyFile === undefined) {
    return {};
  }
  return { httpsOptions: { cert: readFileSync(certFile), key: readFileSync(keyFile) } };
}
