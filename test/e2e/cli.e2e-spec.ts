import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerCr } from '../support/aeros';
import { slaWith } from '../support/api';
import { REPO } from '../support/processes';
import { startStack, type Stack } from '../support/stack';
import { freePort } from '@canopy/testing';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The `canopy` CLI as a user runs it: the built `dist/main.js` as a child process with its own
 * CANOPY_CONFIG, against root, cluster and node engine as separate processes and the real Docker.
 */
describe('canopy CLI end to end (separate processes)', () => {
  jest.setTimeout(300_000);
  let stack: Stack;
  let config: string;

  const canopy = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(REPO, 'packages/cli/dist/main.js'), ...args], {
        env: { PATH: process.env.PATH, HOME: stack.work, CANOPY_CONFIG: config },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    stack = await startStack('cli');
    config = join(stack.work, 'canopy-config');
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('says how to log in before anything else', async () => {
    const run = await canopy('get', 'services');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not logged in: run canopy login <url>');
  });

  it('logs in, applies an SLA, deploys with live progress, shows logs, scales to 2, deletes', async () => {
    const login = await canopy('login', stack.api.baseUrl, '-u', 'Admin', '-p', stack.adminPassword);
    expect(login).toMatchObject({ code: 0 });
    expect(login.stdout).toContain('logged in');
    expect(statSync(config).mode & 0o777).toBe(0o600);

    const file = join(stack.work, 'web.json');
    writeFileSync(
      file,
      JSON.stringify(
        slaWith(
          [
            {
              microserviceID: '',
              microservice_name: 'hello',
              microservice_namespace: 'test',
              virtualization: 'container',
              code: 'canopy-test/busybox:latest',
              cmd: ['sh', '-c', 'echo hello-from-canopy; sleep 3600'],
              memory: 16,
            },
          ],
          'cliapp',
        ),
      ),
    );
    const applied = await canopy('apply', '-f', file);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/application cliapp created/);
    expect(applied.stdout).toMatch(/service hello created/);

    const deployed = await canopy('deploy', 'hello');
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    const statuses = [...deployed.stdout.matchAll(/^instance 0: (\S+)/gm)].map((m) => m[1]);
    expect(statuses[0]).toBe('REQUESTED');
    expect(statuses[statuses.length - 1]).toBe('RUNNING');
    // Every status the root records on the way, in order, each once.
    const order = ['REQUESTED', 'CLUSTER_SCHEDULED', 'NODE_SCHEDULED', 'CREATING', 'RUNNING'];
    expect(statuses).toEqual(order.filter((s) => statuses.includes(s)));
    expect(statuses).toContain('CLUSTER_SCHEDULED');
    expect(deployed.stdout).toMatch(/instance 0: RUNNING\s+\d+(\.\d)?m?s \(\+/);

    const logs = await canopy('logs', 'hello', '0');
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('hello-from-canopy');

    const scaled = await canopy('scale', 'cliapp.hello', '2');
    expect(scaled.stderr).toBe('');
    expect(scaled.code).toBe(0);
    expect(scaled.stdout).toMatch(/replicas \d+ -> 2/);
    expect(scaled.stdout).toMatch(/instance 1: RUNNING/);

    const table = await canopy('get', 'instances');
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^SERVICE\s+INSTANCE\s+STATUS\s+NODE\s+CPU\s+MEMORY\s+PORTS/);
    expect(rows.slice(1).filter((r) => /^hello\s+\d+\s+RUNNING/.test(r))).toHaveLength(2);

    const json = await canopy('get', 'services', '-o', 'json');
    const services = JSON.parse(json.stdout) as { microservice_name: string; replicas: number }[];
    expect(services.find((s) => s.microservice_name === 'hello')?.replicas).toBe(2);

    const nodes = await canopy('get', 'nodes');
    expect(nodes.stdout).toContain(stack.nodeNames[0]);

    // Scaling to 0 follows both instances until they stopped, then says so (it never returns early).
    const badTimeout = await canopy('scale', 'hello', '0', '--timeout', 'soon');
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.stderr).toContain('--timeout soon is not a number of seconds');
    const stopped = await canopy('scale', 'hello', '0');
    expect(stopped.stderr).toBe('');
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/replicas 2 -> 0/);
    expect(stopped.stdout).toMatch(/^instance 0: UNDEPLOYED/m);
    expect(stopped.stdout).toMatch(/^instance 1: UNDEPLOYED/m);
    expect(stopped.stdout.trim().split('\n').pop()).toBe('hello: none running');
    expect((await canopy('get', 'instances')).stdout.trim()).toBe('no instances');
    const badLogs = await canopy('logs', 'hello', 'first');
    expect(badLogs.code).toBe(1);
    expect(badLogs.stderr).toContain('first is not an instance number');

    const deleted = await canopy('delete', 'application', 'cliapp');
    expect(deleted).toMatchObject({ code: 0 });
    expect((await canopy('get', 'services')).stdout.trim()).toBe('no services');
  });

  it('exits non-zero with the reason when the instance cannot be placed', async () => {
    const file = join(stack.work, 'pinned.json');
    writeFileSync(
      file,
      JSON.stringify(
        slaWith(
          [
            {
              microserviceID: '',
              microservice_name: 'pinned',
              microservice_namespace: 'test',
              virtualization: 'container',
              code: 'canopy-test/busybox:latest',
              cmd: ['sleep', '3600'],
              memory: 16,
              constraints: [{ type: 'direct', cluster: stack.clusterName, node: 'no-such-node' }],
            },
          ],
          'pinapp',
        ),
      ),
    );
    expect((await canopy('apply', '-f', file)).code).toBe(0);
    const run = await canopy('deploy', 'pinned', '--timeout', '120');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/instance 0 (NO_QUALIFIED_WORKER_FOUND|TargetClusterNotFound|FAILED): \S/);
    expect(run.stdout).toMatch(/instance 0: REQUESTED/);
    expect((await canopy('delete', 'application', 'pinapp')).code).toBe(0);
  });

  it('applies an aerOS CR in YAML through the LLO API, and again as an update', async () => {
    const file = join(stack.work, 'component.yaml');
    const cr = (greeting: string, port: number) =>
      dockerCr({ name: 'cli-component', selectedIE: stack.nodeNames[0]!, port, greeting });
    const port = await freePort();
    writeFileSync(file, cr('hi', port));
    const created = await canopy('apply', '-f', file);
    expect(created.stderr).toBe('');
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain('ServiceComponentDocker cli-component created (LLO API)');
    const component = await stack.api.request('GET', '/v1/service-components/cli-component?type=docker');
    expect(component.status).toBe(200);
    writeFileSync(file, cr('hello', port));
    const updated = await canopy('apply', '-f', file);
    expect(updated).toMatchObject({ code: 0 });
    expect(updated.stdout).toContain('ServiceComponentDocker cli-component updated (LLO API)');
    await stack.api.request('DELETE', '/v1/service-components/cli-component?type=docker');
  });

  it('prints a bash completion script', async () => {
    const run = await canopy('completion', 'bash');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('complete -F _canopy canopy');
    expect(run.stdout).toContain('applications services instances clusters nodes');
  });
});
