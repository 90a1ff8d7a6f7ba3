import { lookup } from 'node:dns/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { CanopyLabels, type InstanceSpecDto } from '@canopy/schema';
import { containersOfNode, docker, dockerInspect, sleeperSpec, waitFor } from '@canopy/testing';
import { EngineStand } from './support/engine-stand';

jest.setTimeout(60_000);

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const instance = sleeperSpec;

/**
 * Issue 10's container escapes, sent straight over MQTT to a node that allows bind mounts: the node
 * refuses each one itself, and every container it does run has memory, CPU and PID limits.
 */
describe('container escapes refused at the node (real Docker, commands over MQTT)', () => {
  const stand = new EngineStand('escape');
  // Innocent-looking host paths that lead to the socket and to /proc (made before the deploy).
  const links = mkdtempSync(join(tmpdir(), 'canopy-escape-links-'));
  symlinkSync('/var/run/docker.sock', join(links, 'sock'));
  symlinkSync('/proc', join(links, 'p'));
  const { nodeId, cluster } = stand;

  beforeAll(async () => {
    await stand.start(
      {
        // Host binds allowed: the forbidden trees must stay refused anyway.
        allowBindMounts: true,
        allowCapabilities: [],
        imageAllowlist: [],
        gpus: 0,
        pidsLimit: 64,
        defaultMemoryMb: 128,
        defaultVcpus: 0.5,
      },
      log,
    );
  });

  afterAll(async () => {
    rmSync(links, { recursive: true, force: true });
    await stand.stop();
  });

  const port = (hostPort?: number) => ({
    containerPort: 80,
    protocol: 'tcp' as const,
    ...(hostPort === undefined ? {} : { hostPort }),
  });
  it.each<[string, Partial<InstanceSpecDto>, RegExp]>([
    ['named-volume', { binds: ['victim-data:/data'] }, /NODE_ALLOW_NAMED_VOLUMES/],
    ['proc-root-socket', { binds: ['/proc/self/root/run/docker.sock:/s'] }, /reaches \/proc, which is never allowed/],
    ['proc', { binds: ['/proc:/host-proc:ro'] }, /reaches \/proc/],
    ['sys', { binds: ['/sys:/host-sys:ro'] }, /reaches \/sys/],
    ['dev', { binds: ['/dev:/host-dev'] }, /reaches \/dev/],
    ['docker-root', { binds: ['/var/lib/docker:/d'] }, /reaches \/var\/lib\/docker/],
    ['host-root', { binds: ['/:/host'] }, /never allowed/],
    ['symlink-socket', { binds: [`${links}/sock:/s`] }, /exposes the Docker socket/],
    ['symlink-proc', { binds: [`${links}/p/self/root/etc:/e`] }, /reaches \/proc/],
    ['dotdot-proc', { binds: ['/tmp/../proc/1/root:/r'] }, /reaches \/proc/],
    ['slashes-docker-root', { binds: ['//var//lib/docker/:/d'] }, /reaches \/var\/lib\/docker/],
    ['relative', { binds: ['./proc:/p'] }, /must name an absolute host path/],
    ['containerd-socket', { binds: ['/run/containerd/containerd.sock:/c'] }, /exposes the Docker socket/],
    ['relabel', { binds: ['/tmp:/t:Z'] }, /options other than ro and rw/],
    ['docker-socket', { binds: ['/var/run/docker.sock:/var/run/docker.sock'] }, /NODE_ALLOW_DOCKER_SOCKET/],
    ['low-port', { ports: [port(80)] }, /host port 80 is outside this node's range 1024-65535/],
    ['loopback-registry', { image: '127.0.0.1:5000/x:1' }, /NODE_ALLOW_PRIVATE_REGISTRIES/],
    ['metadata-registry', { image: '169.254.169.254/latest/x' }, /loopback, link-local or private address/],
    ['many-ports', { ports: Array.from({ length: 17 }, () => port()) }, /17 port entries.*NODE_MAX_PORTS/],
  ])('refuses %s with a status that names why, and creates no container', async (name, change, detail) => {
    const serviceId = `escape-${name}`;
    await cluster.command('deploy', instance(serviceId, change));
    const failed = await waitFor('FAILED', cluster.statusOf(serviceId, 'FAILED'));
    expect(failed.status_detail).toMatch(/^refused by node: /);
    expect(failed.status_detail).toMatch(detail);
    const owners = await Promise.all(
      (await containersOfNode(nodeId)).map(
        async (id) => (await dockerInspect(id))?.Config.Labels[CanopyLabels.serviceId],
      ),
    );
    expect(owners).not.toContain(serviceId);
  });

  it('refuses a registry named by a host name that resolves to loopback, before Docker dials it', async () => {
    // This machine's own name is loopback in /etc/hosts (as on every Debian/Ubuntu host): the
    // assessment's `127.0.0.1:<port>/x`, spelled so that the literal check cannot see it.
    const name = hostname();
    const addresses = (await lookup(name, { all: true })).map((a) => a.address);
    expect(addresses.some((a) => a.startsWith('127.') || a === '::1')).toBe(true);
    const asked: string[] = [];
    const registry = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(500, { 'content-type': 'text/html' }).end('<html>internal admin page</html>');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    try {
      const image = `${name}:${(registry.address() as AddressInfo).port}/team/app:1`;
      await cluster.command('deploy', instance('escape-hostname-registry', { image }));
      const failed = await waitFor('FAILED', cluster.statusOf('escape-hostname-registry', 'FAILED'));
      expect(failed.status_detail).toMatch(/^refused by node: /);
      expect(failed.status_detail).toMatch(new RegExp(`${name} is [0-9a-f.:]+\\).*NODE_ALLOW_PRIVATE_REGISTRIES`));
      expect(asked).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => registry.close(() => resolve()));
    }
  });

  it('holds a container that tries to start 300 processes to its PID limit', async () => {
    // busybox sh gives up at its first failed fork, so the forking runs in a child shell; its
    // sleeps stay behind, and the parent execs (no fork) so it outlives the limit.
    const fork = 'i=0; while [ $i -lt 300 ]; do sleep 300 & i=$((i+1)); done';
    const script = `sh -c '${fork}' 2>/dev/null; echo spawned; exec sleep 300`;
    await cluster.command('deploy', instance('forker', { cmd: ['sh', '-c', script] }));
    const up = await waitFor('RUNNING', cluster.statusOf('forker', 'RUNNING'), 30_000);
    await waitFor('the loop done', async () =>
      (await docker('logs', up.containerId!)).includes('spawned') ? true : undefined,
    );
    // `docker top` lists the container's processes from the host (one header line).
    const processes = (await docker('top', up.containerId!)).trim().split('\n').length - 1;
    expect(processes).toBeGreaterThan(32);
    expect(processes).toBeLessThanOrEqual(64);
    await cluster.command('delete', { serviceId: 'forker', instanceNumber: 0, generation: 1 });
    await waitFor('UNDEPLOYED', cluster.statusOf('forker', 'UNDEPLOYED'));
  });

  it('gives a container whose descriptor says memory 0 and vcpus 0 the defaults, and always a PID limit', async () => {
    await cluster.command('deploy', instance('unlimited', { memoryMb: 0, vcpus: 0 }));
    const up = await waitFor('RUNNING', cluster.statusOf('unlimited', 'RUNNING'), 30_000);
    const inspected = (await dockerInspect(up.containerId!)) as unknown as {
      HostConfig: { Memory: number; NanoCpus: number; PidsLimit: number };
    };
    expect(inspected.HostConfig).toMatchObject({ Memory: 128 * 1024 * 1024, NanoCpus: 5e8, PidsLimit: 64 });
    await cluster.command('delete', { serviceId: 'unlimited', instanceNumber: 0, generation: 1 });
    await waitFor('UNDEPLOYED', cluster.statusOf('unlimited', 'UNDEPLOYED'));
  });
});
