import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createWebService } from '../support/api';
import { removeContainersWithLabel, waitFor } from '@canopy/testing';
import { startStack, type Stack } from '../support/stack';
import { StatusWatch, clusterProcess, containerStarts, serviceView } from './fault-support';

const NODE_LIVENESS_MS = 3_000;
const NODE_LOST_MS = 8_000;
/** Past NODE_LOST_MS, short of the root's CLUSTER_LOST_MS (default 120 s). */
const CLUSTER_PAUSE_MS = 20_000;

/**
 * Control-plane outages with real processes and real containers (issue 9): the cluster manager
 * paused past NODE_LOST_MS, the root killed -9 while a container crashes and restarts. No container
 * is stopped by either (same ids, same start times), no instance shows UNDEPLOYED while desired,
 * the cluster never judges its node by its own pause, and what happened during the root's outage
 * reaches the root's history and restart count.
 */
describe('control-plane faults (cluster SIGSTOP, root kill -9)', () => {
  jest.setTimeout(150_000);
  let stack: Stack;
  let watch: StatusWatch | undefined;
  let serviceId = '';
  const label = (): string => `io.canopy.service-id=${serviceId}`;
  const allRunning = async (): Promise<any[] | undefined> => {
    const list = (await serviceView(stack.api, serviceId)).instance_list;
    return list.length === 2 && list.every((i: any) => i.status === 'RUNNING') ? list : undefined;
  };

  beforeAll(async () => {
    stack = await startStack('cpfaults', {
      clusterEnv: { NODE_LIVENESS_MS: String(NODE_LIVENESS_MS), NODE_LOST_MS: String(NODE_LOST_MS) },
      nodes: [{ name: `cp-node-${process.pid}`, env: { RESTART_BACKOFF_BASE_MS: '500' } }],
    });
    ({ serviceId } = await createWebService(stack.api, 'cpfaults', { port: '80', replicas: 2 }));
    await waitFor('two RUNNING instances', allRunning, 120_000, 300);
    watch = new StatusWatch(stack.api, [serviceId]);
  });

  afterAll(async () => {
    await watch?.stop();
    await stack?.stop();
    if (serviceId) {
      removeContainersWithLabel(label());
    }
  });

  it('a cluster manager paused past NODE_LOST_MS judges no node by its own pause and stops no container', async () => {
    const before = containerStarts(label());
    expect(Object.keys(before)).toHaveLength(2);
    const clusterTier = clusterProcess(stack);
    const pausedAt = new Date();
    process.kill(clusterTier.pid, 'SIGSTOP');
    try {
      // The fault itself is a span of time: the pause a frozen VM or a stuck host would give.
      await new Promise((r) => setTimeout(r, CLUSTER_PAUSE_MS));
    } finally {
      process.kill(clusterTier.pid, 'SIGCONT');
    }
    await waitFor('both RUNNING after the pause', allRunning, 60_000, 250);
    expect(containerStarts(label())).toEqual(before);
    const log = readFileSync(clusterTier.logFile, 'utf8');
    expect(log).toContain('cluster manager was paused');
    expect(log).not.toContain('node declared lost');
    // The root may say the cluster went quiet; the cluster never said its node did.
    const list = (await serviceView(stack.api, serviceId)).instance_list;
    const fromNode = list
      .flatMap((i: any) => i.status_history)
      .filter((h: any) => new Date(h.at) >= pausedAt && /node .* stopped reporting/.test(h.detail ?? ''));
    expect(fromNode).toEqual([]);
  });

  it('a root killed -9 stops nothing; a crash and restart during its outage reach its history and restart count', async () => {
    const before = containerStarts(label());
    const list = (await serviceView(stack.api, serviceId)).instance_list;
    const victim = list[0];
    const [crashed] = Object.keys(before).filter((id) => id.startsWith(victim.container_id));
    expect(crashed).toBeDefined();
    const killedAt = new Date();
    stack.root.child.kill('SIGKILL');
    await stack.root.exited;
    execFileSync('docker', ['kill', crashed!], { stdio: 'ignore' });
    await waitFor(
      'the crashed container restarted by its node',
      () => {
        const now = containerStarts(label());
        return now[crashed!] !== undefined && now[crashed!] !== before[crashed!] ? now : undefined;
      },
      30_000,
      250,
    );
    await stack.restartRoot('root-run2');
    await stack.api.login('Admin', stack.adminPassword);
    const healed = await waitFor(
      'the root to hear of the restart',
      async () => {
        const i = (await serviceView(stack.api, serviceId)).instance_list.find(
          (x: any) => x.instance_number === victim.instance_number,
        );
        return i?.status === 'RUNNING' && i.restart_count === 1 ? i : undefined;
      },
      60_000,
      250,
    );
    const during = healed.status_history.filter((h: any) => new Date(h.at) >= killedAt).map((h: any) => h.status);
    expect(during).toEqual(expect.arrayContaining(['DEAD', 'RUNNING']));
    // Only the crashed container started again; the other never stopped.
    const after = containerStarts(label());
    for (const [id, startedAt] of Object.entries(before)) {
      expect(after[id]).toBeDefined();
      if (id !== crashed) {
        expect(after[id]).toBe(startedAt);
      }
    }
    expect(Object.keys(after)).toHaveLength(2);
  });

  it('no instance was UNDEPLOYED or replaced while desired', async () => {
    await watch!.stop();
    expect([...watch!.seen.keys()].sort()).toEqual([0, 1]);
    expect(watch!.statuses()).not.toContain('UNDEPLOYED');
  });
});
