import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RootApi } from '../support/api';
import { startTier, type TierProcess } from '../support/processes';
import type { Stack } from '../support/stack';

/** id → start time of every running container carrying a label, as `docker inspect` shows them. */
export function containerStarts(label: string): Record<string, string> {
  const ids = execFileSync(
    'docker',
    ['ps', '-q', '--no-trunc', '--filter', `label=${label}`, '--filter', 'status=running'],
    {
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter((l) => l.trim() !== '');
  const out: Record<string, string> = {};
  for (const id of ids) {
    out[id] = execFileSync('docker', ['inspect', '--format', '{{.State.StartedAt}}', id], { encoding: 'utf8' }).trim();
  }
  return out;
}

export async function serviceView(api: RootApi, serviceId: string): Promise<any> {
  return (await api.request('GET', `/api/service/${serviceId}`)).body;
}

/**
 * Starts node engine `index` of the stack's cluster again, as its machine rebooting would: the
 * same name, data directory and cluster (read back from the first run's log). The caller stops it.
 */
export function restartNode(stack: Stack, index: number, run: number, env: NodeJS.ProcessEnv = {}): TierProcess {
  const first = readFileSync(join(stack.work, `node-${index}.log`), 'utf8');
  const clusterUrl = /"clusterUrl":"([^"]+)"/.exec(first)?.[1];
  if (clusterUrl === undefined) {
    throw new Error(`no cluster URL in the log of node ${index}`);
  }
  return startTier(
    'node-engine',
    `node-${index}-run${run}`,
    {
      CLUSTER_URL: clusterUrl,
      NODE_TOKEN: `${nameOf(stack)}-node-token-0123456789`,
      NODE_NAME: stack.nodeNames[index],
      NODE_DATA_DIR: join(stack.work, `node-${index}`),
      REPORT_INTERVAL_MS: '500',
      ...env,
    },
    stack.work,
  );
}

/** The stack's name, as `startStack(name)` was given it (its cluster is `<name>-cluster`). */
function nameOf(stack: Stack): string {
  return stack.clusterName.replace(/-cluster$/, '');
}

/**
 * Watches what a user of the API sees while faults happen: every instance number and status of
 * the services, polled until `stop()`. No instance may show UNDEPLOYED while desired, and none may
 * be replaced by a new instance number (that would mean one was lost track of).
 */
export class StatusWatch {
  readonly seen = new Map<number, Set<string>>();
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly api: RootApi,
    private readonly serviceIds: string[],
    everyMs = 250,
  ) {
    this.done = (async () => {
      while (this.running) {
        await this.poll().catch(() => undefined);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  statuses(): string[] {
    return [...new Set([...this.seen.values()].flatMap((s) => [...s]))];
  }

  private async poll(): Promise<void> {
    for (const id of this.serviceIds) {
      const res = await this.api.request('GET', `/api/service/${id}`);
      if (res.status !== 200) {
        continue;
      }
      for (const i of res.body.instance_list as any[]) {
        const key = Number(i.instance_number) + 1000 * this.serviceIds.indexOf(id);
        const set = this.seen.get(key) ?? new Set<string>();
        set.add(i.status);
        this.seen.set(key, set);
      }
    }
  }
}

/**
 * The stack's main cluster manager, which `Stack` keeps to itself: the child of this test process
 * running the cluster's `dist/main.js` with its data directory under the stack's work directory.
 */
export function clusterProcess(stack: Stack): { pid: number; logFile: string } {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (
        cmdline.includes(join('packages', 'cluster', 'dist', 'main.js')) &&
        environ.includes(`CLUSTER_DATA_DIR=${join(stack.work, 'cluster')}`)
      ) {
        return { pid: Number(entry), logFile: join(stack.work, 'cluster.log') };
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  throw new Error('the stack’s cluster process was not found');
}
