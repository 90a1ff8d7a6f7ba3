import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import {
  CanopyLabels,
  type InstanceSpecDto,
  type JobStatusMessage,
  type LogsReplyMessage,
  type NodeJobsReport,
} from '@canopy/schema';
import { EngineStand } from './support/engine-stand';
import { containersOfNode, docker, dockerInspect, sleeperSpec, waitFor } from '@canopy/testing';

jest.setTimeout(60_000);

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const instance = sleeperSpec;

describe('node engine hardening (real Docker, commands published straight over MQTT)', () => {
  const stand = new EngineStand('hard');
  const { nodeId, cluster } = stand;

  const statuses = (serviceId: string, from = 0): JobStatusMessage[] =>
    cluster.jobStatuses(from).filter((m) => m.serviceId === serviceId);
  const statusOf = (serviceId: string, status: string) => (): JobStatusMessage | undefined =>
    statuses(serviceId).find((m) => m.status === status);

  beforeAll(async () => {
    await stand.start(
      {
        allowCapabilities: ['NET_ADMIN'],
        imageAllowlist: ['canopy-test/', 'docker.io/canopy-test/*', '127.0.0.1:*'],
        // The private-registry test runs its registry stand-in on loopback.
        allowPrivateRegistries: true,
        gpus: 0,
        // Short crash-loop timing so the schedule is observable in seconds, not minutes.
        restartBackoffBaseMs: 300,
        restartBackoffMaxMs: 1200,
        restartResetAfterMs: 60_000,
      },
      log,
    );
  });

  afterAll(async () => {
    await stand.stop();
  });

  it('enforces the memory limit: visible in docker inspect, an allocation beyond it is OOM-killed and reported', async () => {
    const spec = instance('hungry', {
      memoryMb: 16,
      // dd allocates one 64 MB block buffer, four times the limit.
      cmd: ['sh', '-c', 'sleep 1; exec dd if=/dev/zero of=/dev/null bs=64M count=1'],
    });
    await cluster.command('deploy', spec);
    const up = await waitFor('RUNNING', statusOf('hungry', 'RUNNING'));
    const inspected = await dockerInspect(up.containerId!);
    expect(inspected?.HostConfig.Memory).toBe(16 * 1024 * 1024);
    const dead = await waitFor('DEAD', statusOf('hungry', 'DEAD'));
    expect(dead.status_detail).toMatch(/code 137 \(killed: out of memory\)/);
    await cluster.command('delete', { serviceId: 'hungry', instanceNumber: 0, generation: 1 });
    await waitFor('UNDEPLOYED', statusOf('hungry', 'UNDEPLOYED'));
  });

  it('restarts a crashing container itself with growing delays, keeping its id and counting restarts', async () => {
    await cluster.command('deploy', instance('looper', { cmd: ['sh', '-c', 'sleep 0.2; exit 1'] }));
    const third = await waitFor(
      'a third restart',
      () => statuses('looper').find((m) => m.restarts === 3 && m.status === 'RUNNING'),
      20_000,
    );
    const seen = statuses('looper');
    const deaths = seen.filter((m) => m.status === 'DEAD');
    expect(deaths.slice(0, 3).map((m) => m.status_detail)).toEqual([
      'container exited with code 1; restarting in 300 ms (restart 1)',
      'container exited with code 1; restarting in 600 ms (restart 2)',
      'container exited with code 1; restarting in 1.2 s (restart 3)',
    ]);
    // The delay really grows: from each DEAD to the RUNNING that follows it.
    const gaps = [1, 2, 3].map((n) => {
      const restarted = seen.find((m) => m.status === 'RUNNING' && m.restarts === n)!;
      return restarted.at! - deaths[n - 1]!.at!;
    });
    expect(gaps[0]).toBeGreaterThanOrEqual(280);
    expect(gaps[1]).toBeGreaterThanOrEqual(580);
    expect(gaps[2]).toBeGreaterThanOrEqual(1180);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
    expect(third.status_detail).toBe('restarted 3 times by the node; last exit: container exited with code 1');
    // Same container every time: docker start, not a new one.
    expect(new Set(seen.filter((m) => m.containerId).map((m) => m.containerId)).size).toBe(1);
    const from = cluster.messages.length;
    const reported = await waitFor('the restart count in the full report', () =>
      cluster
        .jobReports(from)
        .flatMap((r) => r.instances)
        .find((i) => i.serviceId === 'looper' && (i.restarts ?? 0) >= 3),
    );
    expect(reported.nodeId).toBe(nodeId);
    await cluster.command('delete', { serviceId: 'looper', instanceNumber: 0, generation: 1 });
    await waitFor('UNDEPLOYED', statusOf('looper', 'UNDEPLOYED'));
  });

  it('ends a one-shot job that exits 0 as COMPLETED and never restarts it', async () => {
    const cmd = ['sh', '-c', 'sleep 0.3; exit 0'];
    await cluster.command('deploy', instance('batch', { cmd, oneShot: true }));
    // The marker: the same exit in a job that is not one-shot, deployed just after, is restarted
    // twice (300 ms, then 600 ms after its exits); by then a restart of the batch would have come.
    await cluster.command('deploy', instance('witness', { cmd }));
    const done = await waitFor('COMPLETED', statusOf('batch', 'COMPLETED'));
    expect(done.restarts).toBeUndefined();
    await waitFor('the witness restarted twice', () =>
      statuses('witness').find((m) => m.status === 'RUNNING' && m.restarts === 2),
    );
    await cluster.command('delete', { serviceId: 'witness', instanceNumber: 0, generation: 1 });
    await waitFor('the witness UNDEPLOYED', statusOf('witness', 'UNDEPLOYED'));
    const after = statuses('batch').filter((m) => m.at! > done.at!);
    expect(after.map((m) => m.status)).not.toContain('RUNNING');
    expect((await dockerInspect(done.containerId!))?.State.Running).toBe(false);
  });

  it('fails a missing image with the registry message instead of hanging', async () => {
    await cluster.command('deploy', instance('ghost', { image: 'canopy-test/no-such-image:1' }));
    const failed = await waitFor('FAILED', statusOf('ghost', 'FAILED'), 30_000);
    expect(failed.status_detail).toContain('canopy-test/no-such-image:1 could not be pulled');
    expect(failed.status_detail).toMatch(/registry|repository|pull access|not found|no such host|denied|dial/i);
  });

  it('pulls from a private registry with the descriptor credentials and reports its refusal', async () => {
    // A registry stand-in on loopback (Docker talks plain HTTP to 127.0.0.0/8): it demands Basic
    // auth, records what Docker sends, and then has no such manifest.
    const seenAuth: string[] = [];
    const registry = http.createServer((req, res) => {
      if (req.headers.authorization !== undefined) {
        seenAuth.push(req.headers.authorization);
      }
      if (req.url === '/v2/' && req.headers.authorization === undefined) {
        res.writeHead(401, {
          'www-authenticate': 'Basic realm="canopy-test"',
          'docker-distribution-api-version': 'registry/2.0',
        });
        return res.end('{}');
      }
      if (req.url === '/v2/') {
        res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
        return res.end('{}');
      }
      res.writeHead(404, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    try {
      const port = (registry.address() as AddressInfo).port;
      const image = `127.0.0.1:${port}/team/private:1`;
      await cluster.command(
        'deploy',
        instance('private', {
          image,
          registryAuth: { username: 'robot', password: 's3cret', serveraddress: `127.0.0.1:${port}` },
        }),
      );
      const failed = await waitFor('FAILED', statusOf('private', 'FAILED'), 30_000);
      expect(failed.status_detail).toContain(`image ${image} could not be pulled`);
      expect(failed.status_detail).toMatch(/manifest unknown|not found/i);
      expect(seenAuth).toContain(`Basic ${Buffer.from('robot:s3cret').toString('base64')}`);
      // Nothing the node publishes carries the password (the command itself came from the cluster).
      const fromNode = cluster.messages.filter((m) => !m.topic.includes('/control/'));
      expect(JSON.stringify(fromNode)).not.toContain('s3cret');
    } finally {
      await new Promise<void>((resolve) => registry.close(() => resolve()));
    }
  });

  it("reports a pull from a registry that answers garbage without echoing the registry's body", async () => {
    // Private registries allowed on this node: the assessment's probe of any address the node reaches.
    const registry = http.createServer((req, res) => {
      res.writeHead(req.url === '/v2/' ? 200 : 500, { 'content-type': 'text/html' });
      res.end('<html><body>INTERNAL-PAGE token=abc123</body></html>');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    try {
      const image = `127.0.0.1:${(registry.address() as AddressInfo).port}/team/app:1`;
      await cluster.command('deploy', instance('garbage', { image }));
      const failed = await waitFor('FAILED', statusOf('garbage', 'FAILED'), 30_000);
      expect(failed.status_detail).toMatch(new RegExp(`^image ${image} could not be pulled: the registry .*`));
      expect(JSON.stringify(cluster.messages.filter((m) => !m.topic.includes('/control/')))).not.toMatch(
        /INTERNAL-PAGE|abc123|<html/,
      );
    } finally {
      await new Promise<void>((resolve) => registry.close(() => resolve()));
    }
  });

  const refusedCases: [string, Partial<InstanceSpecDto>, RegExp][] = [
    ['privileged', { privileged: true }, /privileged mode.*NODE_ALLOW_PRIVILEGED=true/],
    ['hostnet', { hostNetwork: true }, /host network.*NODE_ALLOW_HOST_NAMESPACES=true/],
    ['hostpid', { hostPid: true }, /host PID namespace.*NODE_ALLOW_HOST_NAMESPACES=true/],
    ['hostipc', { hostIpc: true }, /host IPC namespace.*NODE_ALLOW_HOST_NAMESPACES=true/],
    ['bindmount', { binds: ['/etc:/host-etc:ro'] }, /bind mount "\/etc:\/host-etc:ro".*NODE_ALLOW_BIND_MOUNTS=true/],
    [
      'dockersock',
      { binds: ['/var/run/docker.sock:/var/run/docker.sock'] },
      /Docker socket.*NODE_ALLOW_DOCKER_SOCKET=true/,
    ],
    ['capadd', { capAdd: ['SYS_ADMIN'] }, /capability SYS_ADMIN.*NODE_ALLOW_CAPABILITIES/],
    [
      'notallowed',
      { image: 'docker.io/library/nginx:latest' },
      /not on this node's allow-list \(NODE_IMAGE_ALLOWLIST\)/,
    ],
    ['gpu', { vgpus: 1 }, /asks for 1 GPU\(s\) but this node has none/],
  ];

  it.each(refusedCases)(
    'refuses %s at the node even when the command comes straight over MQTT',
    async (name, change, detail) => {
      const serviceId = `refused-${name}`;
      await cluster.command('deploy', instance(serviceId, change));
      const failed = await waitFor('FAILED', statusOf(serviceId, 'FAILED'));
      expect(failed.status_detail).toMatch(/^refused by node: /);
      expect(failed.status_detail).toMatch(detail);
      expect(failed.containerId).toBeUndefined();
      const owners = await Promise.all(
        (await containersOfNode(nodeId)).map(
          async (id) => (await dockerInspect(id))?.Config.Labels[CanopyLabels.serviceId],
        ),
      );
      expect(owners).not.toContain(serviceId);
    },
  );

  it('runs an added capability that this node allows', async () => {
    await cluster.command('deploy', instance('netadmin', { capAdd: ['NET_ADMIN'] }));
    const up = await waitFor('RUNNING', statusOf('netadmin', 'RUNNING'));
    const capAdd = JSON.parse(
      await docker('inspect', '--format', '{{json .HostConfig.CapAdd}}', up.containerId!),
    ) as string[];
    expect(capAdd).toEqual(['NET_ADMIN']);
  });

  it('reports per-instance CPU and memory in jobs/resources', async () => {
    await cluster.command('deploy', instance('busy', { cmd: ['sh', '-c', 'while true; do :; done'], vcpus: 0.5 }));
    await waitFor('RUNNING', statusOf('busy', 'RUNNING'));
    const from = cluster.messages.length;
    const usage = await waitFor('usage with cpu', () =>
      cluster
        .jobReports(from)
        .flatMap((r: NodeJobsReport) => r.instances)
        .find((i) => i.serviceId === 'busy' && i.cpuPercent !== undefined && i.memoryMb !== undefined),
    );
    // A busy loop capped at half a core by its CFS quota.
    expect(usage.cpuPercent).toBeGreaterThan(20);
    expect(usage.cpuPercent).toBeLessThan(75);
    expect(usage.memoryMb).toBeGreaterThan(0);
    expect(usage.memoryMb).toBeLessThan(64);
    await cluster.command('delete', { serviceId: 'busy', instanceNumber: 0, generation: 1 });
  });

  it('answers a logs request over MQTT with the tail of the instance log', async () => {
    // stdout and stderr are separate pipes: pause so Docker's log has err-line after line-5.
    const script = 'for i in 1 2 3 4 5; do echo line-$i; done; sleep 0.5; echo err-line >&2; sleep 300';
    await cluster.command('deploy', instance('talker', { cmd: ['sh', '-c', script] }));
    await waitFor('RUNNING', statusOf('talker', 'RUNNING'));
    const ask = async (requestId: string, key: object, tail: number): Promise<LogsReplyMessage> => {
      const from = cluster.messages.length;
      await cluster.command('logs', { requestId, ...key, tail });
      return waitFor('a logs reply', () =>
        cluster
          .on('logs', from)
          .map((m) => m.body as LogsReplyMessage)
          .find((r) => r.requestId === requestId),
      );
    };
    const reply = await waitFor('all lines written', async () => {
      const r = await ask(`req-${Date.now()}`, { serviceId: 'talker', instanceNumber: 0, generation: 1 }, 3);
      return r.lines.includes('err-line') ? r : undefined;
    });
    expect(reply).toMatchObject({ ok: true, lines: ['line-4', 'line-5', 'err-line'] });
    const unknown = await ask('req-unknown', { serviceId: 'nobody', instanceNumber: 0, generation: 1 }, 10);
    expect(unknown).toEqual({
      requestId: 'req-unknown',
      ok: false,
      lines: [],
      error: 'instance not found on this node',
    });
  });
});
