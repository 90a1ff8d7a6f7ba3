import { execFileSync } from 'node:child_process';
import { waitFor } from '@canopy/testing';

/** A raw HTTP call with any media type, as curl or an aerOS client would make it. */
export async function call(
  baseUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/yaml',
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  if (body !== undefined) {
    headers['content-type'] = contentType;
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body ?? null });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* stays text */
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export interface DockerCr {
  name: string;
  selectedIE: string;
  port: number;
  greeting: string;
  image?: string;
  kind?: string;
}

/**
 * The shape of the aerOS docs' `ServiceComponentDocker` (HLO labels, selectedIE, ports, cliArgs
 * with bare flags and values, envVars), with the local test image and a busybox httpd as the args.
 */
export function dockerCr(c: DockerCr): string {
  return `apiVersion: llo.aeros-project.eu/v1alpha1
kind: ${c.kind ?? 'ServiceComponentDocker'}
metadata:
  labels:
    app.kubernetes.io/name: component-1-of-the-service-1
    app.kubernetes.io/instance: Service_1_Component_1
    app.kubernetes.io/part-of: Service_1
    app.kubernetes.io/managed-by: aeros-project.eu
    app.kubernetes.io/created-by: LowLevelOrchestrator_1
  name: ${c.name}
spec:
  selectedIE: ${c.selectedIE}
  image: ${c.image ?? 'canopy-test/busybox:latest'}
  exposePorts: true
  ports:
    - number: ${c.port}
      protocol: TCP
  cliArgs:
    - key: httpd
    - key: -f
    - key: -p
      value: "${c.port}"
    - key: -h
      value: /www
  envVars:
    - key: GREETING
      value: ${c.greeting}
`;
}

/** `docker inspect` of the one running container of a Canopy service, as a user would look. */
export function inspectService(
  serviceId: string,
): { Config: { Env: string[]; Cmd: string[]; Image: string } } | undefined {
  const ids = execFileSync(
    'docker',
    ['ps', '-q', '--filter', `label=io.canopy.service-id=${serviceId}`, '--filter', 'status=running'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (ids.length !== 1) {
    return undefined;
  }
  const [info] = JSON.parse(execFileSync('docker', ['inspect', ids[0] as string], { encoding: 'utf8' })) as {
    Config: { Env: string[]; Cmd: string[]; Image: string };
  }[];
  return info;
}

export async function waitForComponent(
  baseUrl: string,
  token: string,
  name: string,
  predicate: (cr: any) => boolean,
  what: string,
  type = 'docker',
): Promise<any> {
  return waitFor(
    what,
    async () => {
      const res = await call(baseUrl, token, 'GET', `/v1/service-components/${name}?type=${type}`);
      if (res.status === 200 && res.body.status?.serviceComponentStatus === 'Failed') {
        throw new Error(`component failed: ${res.body.status.detail}`);
      }
      return res.status === 200 && predicate(res.body) ? res.body : undefined;
    },
    90_000,
  );
}

export async function httpText(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    return res.ok ? (await res.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}
