import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { CanopyLabels, type InstanceSpecDto } from '@canopy/schema';
import { RegistrationRejectedError, startNodeEngine, type NodeEngineConfigInit, type NodeEngineHandle } from '../src';
import { ClusterStandIn } from './support/cluster-stand-in';
import {
  containersOfNode,
  dockerInspect,
  dockerInspectExisting,
  ensureTestImage,
  instanceSpec,
  removeContainersOfNode,
  waitFor,
} from '@canopy/testing';

jest.setTimeout(60_000);

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function instance(serviceId: string, overrides: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return instanceSpec(serviceId, { environment: ['GREETING=hello'], ...overrides });
}

describe('node engine against real Docker, a real MQTT broker and a real registration endpoint', () => {
  const nodeId = `it-${process.pid}-${Date.now().toString(36)}`;
  const cluster = new ClusterStandIn(nodeId);
  let dataDir: string;
  let engine: NodeEngineHandle | undefined;

  const config = (): NodeEngineConfigInit => ({
    ...cluster.engineConfig('it-worker', dataDir),
    labels: { zone: 'test' },
  });

  const inspect = dockerInspectExisting;

  beforeAll(async () => {
    await ensureTestImage();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'canopy-node-it-'));
    await cluster.start();
  });

  afterAll(async () => {
    await engine?.stop();
    await removeContainersOfNode(nodeId);
    await cluster.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('registers with the bearer token after the cluster comes up (and past its rate limit), then reports on its topics', async () => {
    cluster.failNextRegistrations = [503, 429];
    engine = await startNodeEngine(config(), log);
    expect(engine.nodeId).toBe(nodeId);

    expect(cluster.registrations).toHaveLength(3);
    const last = cluster.registrations[2]!;
    expect(last.authorization).toBe(`Bearer ${cluster.token}`);
    expect(last.body).toMatchObject({
      name: 'it-worker',
      arch: os.arch() === 'x64' ? 'amd64' : os.arch(),
      cpuCores: os.cpus().length,
      gpus: 0,
      publicIp: '127.0.0.1',
      labels: { zone: 'test' },
    });
    expect(last.body.memoryMb).toBeGreaterThan(0);

    const info = await waitFor('a heartbeat', () => cluster.heartbeats()[0]);
    expect(info.cpuCores).toBe(os.cpus().length);
    expect(info.memoryTotalMb).toBeGreaterThan(0);
    expect(info.diskTotalMb).toBeGreaterThan(0);
    expect(info.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(info.netRxBps).toBeGreaterThanOrEqual(0);
    expect(info.arch).toBe(last.body.arch);
    await waitFor('a jobs report', () => cluster.jobReports()[0]);
    expect(cluster.connectedClientIds()).toContain(`canopy-node-${nodeId}`);
  });

  it('deploys a web container on a Docker-chosen port with its memory limit and labels', async () => {
    const spec = instance('web', { ports: [{ containerPort: 80, protocol: 'tcp' }], memoryMb: 64, vcpus: 0.5 });
    await cluster.command('deploy', spec);

    const up = await waitFor('RUNNING', cluster.runningOf('web', 1));
    const seen = cluster.statusesOf('web').map((m) => m.status);
    expect(seen.indexOf('CREATING')).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('CREATING')).toBeLessThan(seen.indexOf('RUNNING'));
    expect(up).toMatchObject({
      sname: 'app.default.web.default',
      instance: 0,
      serviceId: 'web',
      instanceNumber: 0,
      generation: 1,
      nodeId,
      publicIp: '127.0.0.1',
    });
    expect(up.hostPorts).toHaveLength(1);
    const bound = up.hostPorts![0]!;
    expect(bound).toMatchObject({ containerPort: 80, protocol: 'tcp' });
    expect(bound.hostPort).toBeGreaterThan(0);

    const page = await waitFor('the page', async () => {
      const res = await fetch(`http://127.0.0.1:${bound.hostPort}/`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    });
    expect(page.trim()).toBe('canopy-ok');

    const inspected = await inspect(up.containerId);
    expect(inspected.State.Running).toBe(true);
    expect(inspected.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(inspected.HostConfig.NanoCpus).toBe(500_000_000);
    expect(inspected.HostConfig.RestartPolicy.Name).toBe('no');
    expect(inspected.Name).toBe(`/canopy-${nodeId}-web-0-1`);
    expect(inspected.Config.Env).toContain('GREETING=hello');
    expect(inspected.Config.Labels).toMatchObject({
      [CanopyLabels.managed]: 'true',
      [CanopyLabels.serviceId]: 'web',
      [CanopyLabels.instance]: '0',
      [CanopyLabels.generation]: '1',
      [CanopyLabels.jobName]: 'app.default.web.default',
      [CanopyLabels.nodeId]: nodeId,
    });
  });

  it('treats the same deploy again as a no-op and answers with the current status', async () => {
    const before = cluster.messages.length;
    const containers = await containersOfNode(nodeId);
    expect(containers).toHaveLength(1);
    await cluster.command(
      'deploy',
      instance('web', { ports: [{ containerPort: 80, protocol: 'tcp' }], memoryMb: 64, vcpus: 0.5 }),
    );
    const again = await waitFor('RUNNING re-sent', cluster.runningOf('web', 1, before));
    expect(again.containerId).toBe(containers[0]);
    expect(cluster.statusesOf('web', before).map((m) => m.status)).not.toContain('CREATING');
    expect(await containersOfNode(nodeId)).toEqual(containers);
  });

  it('lists running instances in the periodic jobs report', async () => {
    const from = cluster.messages.length;
    const web = await waitFor('a report listing web', () =>
      cluster
        .jobReports(from)
        .flatMap((r) => r.instances)
        .find((i) => i.serviceId === 'web'),
    );
    expect(web).toMatchObject({ status: 'RUNNING', nodeId, generation: 1 });
  });

  it('ignores malformed deploys and keeps serving commands', async () => {
    await cluster.command('deploy', 'this is not json');
    await cluster.command('deploy', { serviceId: 'broken', instanceNumber: -1 });
    await cluster.command('deploy', { ...instance('broken2'), ports: [{ containerPort: 'eighty', protocol: 'tcp' }] });
    await cluster.command('delete', { serviceId: '' });
    await cluster.command('sync', { instances: 'all of them' });
    await cluster.command('deploy', instance('afterbad', { cmd: ['sleep', '300'] }));
    await waitFor('RUNNING after bad input', cluster.runningOf('afterbad', 1));
    expect(cluster.statusesOf('broken')).toEqual([]);
    expect(cluster.statusesOf('broken2')).toEqual([]);
  });

  it('replaces an instance on a higher generation and ignores a lower one', async () => {
    const from = cluster.messages.length;
    const old = await waitFor('gen 1', cluster.runningOf('afterbad', 1));
    await cluster.command('deploy', instance('afterbad', { cmd: ['sleep', '300'], generation: 2 }));
    const newer = await waitFor('gen 2 RUNNING', cluster.runningOf('afterbad', 2, from));
    expect(newer.containerId).not.toBe(old.containerId);
    expect(await dockerInspect(old.containerId!)).toBeUndefined();

    const before = cluster.messages.length;
    await cluster.command('deploy', instance('afterbad', { cmd: ['sleep', '300'], generation: 1 }));
    // The marker: generation 2 again, queued behind the stale deploy on the slot's lock; its
    // status is re-sent, so the stale one has been handled by then.
    await cluster.command('deploy', instance('afterbad', { cmd: ['sleep', '300'], generation: 2 }));
    await waitFor('gen 2 RUNNING re-sent', cluster.runningOf('afterbad', 2, before));
    expect(cluster.statusesOf('afterbad', before).filter((m) => m.generation === 1)).toEqual([]);
    expect((await inspect(newer.containerId)).State.Running).toBe(true);
  });

  it('deletes an instance, and answers UNDEPLOYED even for one it never had', async () => {
    const { containerId } = await waitFor('web', cluster.runningOf('web', 1));
    await cluster.command('delete', { serviceId: 'web', instanceNumber: 0, generation: 1 });
    const gone = await waitFor('UNDEPLOYED', cluster.statusOf('web', 'UNDEPLOYED'));
    expect(gone).toMatchObject({ sname: 'app.default.web.default', instance: 0, generation: 1 });
    expect(await dockerInspect(containerId!)).toBeUndefined();

    await cluster.command('delete', { serviceId: 'never-seen', instanceNumber: 4, generation: 9 });
    const unknown = await waitFor('UNDEPLOYED for unknown', cluster.statusOf('never-seen', 'UNDEPLOYED'));
    expect(unknown).toMatchObject({ instanceNumber: 4, generation: 9 });
  });

  it('reports DEAD with the exit code when a container exits', async () => {
    await cluster.command('deploy', instance('crasher', { cmd: ['sh', '-c', 'sleep 0.3; exit 3'] }));
    const dead = await waitFor('DEAD', cluster.statusOf('crasher', 'DEAD'));
    // Still desired, so the node schedules its own restart (default backoff: 10 s first).
    expect(dead.status_detail).toBe('container exited with code 3; restarting in 10 s (restart 1)');
    // Exits before the engine even looks: caught by its inspect after start, not by the event.
    await cluster.command('deploy', instance('instant-crasher', { cmd: ['sh', '-c', 'exit 3'] }));
    const instant = await waitFor('DEAD', cluster.statusOf('instant-crasher', 'DEAD'));
    expect(instant.status_detail).toMatch(/^container exited with code 3; restarting in/);
  });

  it('reports COMPLETED when a one-shot job exits 0', async () => {
    await cluster.command('deploy', instance('job', { cmd: ['sh', '-c', 'sleep 0.3; exit 0'], oneShot: true }));
    const done = await waitFor('COMPLETED', cluster.statusOf('job', 'COMPLETED'));
    expect(done.status_detail).toContain('code 0');
    expect(cluster.statusesOf('job').map((m) => m.status)).not.toContain('DEAD');
  });

  it('reports FAILED with the registry message when the image cannot be pulled', async () => {
    await cluster.command('deploy', instance('ghost', { image: 'canopy-test/does-not-exist:1' }));
    const failed = await waitFor('FAILED', cluster.statusOf('ghost', 'FAILED'));
    expect(failed.status_detail).toContain('canopy-test/does-not-exist:1');
    // Docker's / the registry's own words, whichever way the registry fails here or elsewhere.
    expect(failed.status_detail).toMatch(/registry|repository|pull access|not found|no such host|denied/i);
    expect(failed.status_detail).not.toContain('HTTP code');
  });

  it('refuses privileged instances unless the node allows them', async () => {
    await cluster.command('deploy', instance('root', { privileged: true }));
    const failed = await waitFor('FAILED', cluster.statusOf('root', 'FAILED'));
    expect(failed.status_detail).toContain('NODE_ALLOW_PRIVILEGED');
    for (const id of await containersOfNode(nodeId)) {
      expect((await inspect(id)).Config.Labels[CanopyLabels.serviceId]).not.toBe('root');
    }
  });

  it('converges on a sync: creates what is missing, removes what is not listed', async () => {
    const from = cluster.messages.length;
    const keep = await waitFor('afterbad gen 2', cluster.runningOf('afterbad', 2));
    await cluster.command('sync', {
      instances: [
        instance('afterbad', { cmd: ['sleep', '300'], generation: 2 }),
        instance('synced', { instanceNumber: 3, cmd: ['sleep', '300'] }),
      ],
    });
    await waitFor('synced RUNNING', cluster.runningOf('synced', 1, from));
    await waitFor('crasher UNDEPLOYED', cluster.statusOf('crasher', 'UNDEPLOYED', from));
    await waitFor('ghost UNDEPLOYED', cluster.statusOf('ghost', 'UNDEPLOYED', from));
    const left = await containersOfNode(nodeId);
    const services = await Promise.all(
      left.map(async (id) => (await inspect(id)).Config.Labels[CanopyLabels.serviceId]),
    );
    expect(services.sort()).toEqual(['afterbad', 'synced']);
    expect(left).toContain(keep.containerId);
    expect(cluster.statusesOf('afterbad', from).map((m) => m.status)).not.toContain('CREATING');
  });

  it('registers again and reconnects when the broker refuses its old credentials', async () => {
    const registrationsBefore = cluster.registrations.length;
    cluster.password = 'pw-2';
    cluster.disconnectAll();
    await waitFor('a new registration', () => cluster.registrations.length > registrationsBefore);
    const from = cluster.messages.length;
    await waitFor('a heartbeat after reconnecting', () => cluster.heartbeats(from)[0]);
    await cluster.command('deploy', instance('after-relink', { cmd: ['sleep', '300'] }));
    await waitFor('RUNNING after relink', cluster.runningOf('after-relink', 1, from));
  });

  it('leaves containers running on stop, and a new engine adopts them without recreating', async () => {
    const synced = await waitFor('synced', cluster.runningOf('synced', 1));
    await engine!.stop();
    engine = undefined;
    expect((await inspect(synced.containerId)).State.Running).toBe(true);
    const persisted = JSON.parse(await fs.readFile(path.join(dataDir, 'desired-state.json'), 'utf8')) as {
      instances: InstanceSpecDto[];
    };
    expect(persisted.instances.map((i) => i.serviceId).sort()).toEqual(['after-relink', 'afterbad', 'synced']);

    const containersBefore = (await containersOfNode(nodeId)).sort();
    const from = cluster.messages.length;
    engine = await startNodeEngine(config(), log);
    const adopted = await waitFor('a report from the new engine', () =>
      cluster
        .jobReports(from)
        .flatMap((r) => r.instances)
        .find((i) => i.serviceId === 'synced'),
    );
    expect(adopted).toMatchObject({ status: 'RUNNING', containerId: synced.containerId, instanceNumber: 3 });
    expect(cluster.jobStatuses(from).filter((m) => m.status === 'CREATING')).toEqual([]);
    expect((await containersOfNode(nodeId)).sort()).toEqual(containersBefore);

    // Still in command after the restart: a delete removes the adopted container.
    await cluster.command('delete', { serviceId: 'synced', instanceNumber: 3, generation: 1 });
    await waitFor('UNDEPLOYED', cluster.statusOf('synced', 'UNDEPLOYED', from));
    expect(await dockerInspect(synced.containerId!)).toBeUndefined();
  });

  it('gives up at once on a rejected node token', async () => {
    await expect(startNodeEngine({ ...config(), nodeToken: 'wrong' }, log)).rejects.toBeInstanceOf(
      RegistrationRejectedError,
    );
  });
});
