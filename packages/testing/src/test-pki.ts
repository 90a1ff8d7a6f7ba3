import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files of a throwaway certificate authority and a server certificate it signed (PEM). */
export interface TestPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

/**
 * Makes a CA and a server certificate for `127.0.0.1` / `localhost` with openssl, in `dir`, under
 * `name` (so one test can make two unrelated CAs). For TLS tests only: the keys are not protected.
 */
export function makeTestPki(dir: string, name = 'test'): TestPki {
  const f = (suffix: string): string => join(dir, `${name}-${suffix}`);
  const pki: TestPki = {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
  };
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name} test CA`,
    '-keyout',
    pki.caKey,
    '-out',
    pki.caCert,
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    pki.serverKey,
    '-out',
    f('server.csr'),
  );
  const ext = f('server.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    pki.serverCert,
  );
  return pki;
}
