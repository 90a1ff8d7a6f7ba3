import pino from 'pino';
import { CanopyLabels, type InstanceSpecDto } from '@canopy/schema';
import { containersOfNode, dockerInspect, sleeperSpec, waitFor } from '@canopy/testing';
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
