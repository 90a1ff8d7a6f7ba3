import type { ContainerInfo, ContainerRuntime } from '../docker/container-runtime.port';
import { instanceFromLabels, nodeSelector } from '../engine/container-spec';
import type { DesiredStateRepository } from '../state/desired-state.repository';
import { readEngineStatus, type EngineStatus } from '../state/engine-status.file';

export interface StatusView {
  nodeId?: string;
  nodeName?: string;
  clusterUrl?: string;
  engine: 'running' | 'stopped' | 'unknown';
  pid?: number;
  mqtt: 'connected' | 'disconnected' | 'unknown';
  since?: number;
  instances: {
    serviceId: string;
    instance: number;
    generation: number;
    desired: boolean;
    state: string;
    containerId?: string;
    ports: string;
  }[];
}

/**
 * What `node-engine status` prints, from the data directory and Docker alone: it must work while
 * the cluster (or the engine itself) is down, which is when an operator runs it.
 */
export async function collectStatus(
  dataDir: string,
  runtime: Pick<ContainerRuntime, 'listContainers'>,
  loadDesired: (nodeId: string) => DesiredStateRepository,
  isAlive: (pid: number) => boolean,
): Promise<StatusView> {
  const status: EngineStatus | undefined = await readEngineStatus(dataDir);
  const view: StatusView = { engine: 'unknown', mqtt: 'unknown', instances: [] };
  if (status === undefined) {
    return view;
  }
  const alive = status.stoppedAt === undefined && isAlive(status.pid);
  view.nodeId = status.nodeId;
  view.nodeName = status.nodeName;
  view.clusterUrl = status.clusterUrl;
  view.engine = alive ? 'running' : 'stopped';
  view.pid = status.pid;
  view.mqtt = alive ? (status.mqttConnected ? 'connected' : 'disconnected') : 'disconnected';
  view.since = status.since;

  const desired = await loadDesired(status.nodeId).load();
  const containers: ContainerInfo[] = await runtime.listContainers(nodeSelector(status.nodeId));
  const seen = new Set<string>();
  for (const c of containers) {
    const key = instanceFromLabels(c.labels);
    if (key === undefined) {
      continue;
    }
    const isDesired = desired.some(
      (d) =>
        d.serviceId === key.serviceId && d.instanceNumber === key.instanceNumber && d.generation === key.generation,
    );
    seen.add(`${key.serviceId}/${key.instanceNumber}/${key.generation}`);
    view.instances.push({
      serviceId: key.serviceId,
      instance: key.instanceNumber,
      generation: key.generation,
      desired: isDesired,
      state: c.exitCode === undefined ? c.state : `${c.state} (${c.exitCode})`,
      containerId: c.id.slice(0, 12),
      ports: c.hostPorts.map((p) => `${p.hostPort}->${p.containerPort}/${p.protocol}`).join(','),
    });
  }
  for (const d of desired) {
    if (seen.has(`${d.serviceId}/${d.instanceNumber}/${d.generation}`)) {
      continue;
    }
    view.instances.push({
      serviceId: d.serviceId,
      instance: d.instanceNumber,
      generation: d.generation,
      desired: true,
      state: 'no container',
      ports: '',
    });
  }
  view.instances.sort((a, b) =>
    a.serviceId === b.serviceId ? a.instance - b.instance : a.serviceId < b.serviceId ? -1 : 1,
  );
  return view;
}

export function renderStatus(view: StatusView): string {
  const lines: string[] = [];
  if (view.nodeId === undefined) {
    lines.push('node engine has not run with this data directory yet (no engine-status.json)');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`node:     ${view.nodeId} (${view.nodeName ?? '?'})`);
  lines.push(`cluster:  ${view.clusterUrl ?? '?'}`);
  lines.push(`engine:   ${view.engine}${view.pid === undefined ? '' : ` (pid ${view.pid})`}`);
  const since = view.since === undefined ? '' : ` since ${new Date(view.since).toISOString()}`;
  lines.push(`broker:   ${view.mqtt}${since}`);
  lines.push('');
  const header = ['SERVICE', 'INSTANCE', 'GEN', 'DESIRED', 'CONTAINER', 'STATE', 'PORTS'];
  const rows = view.instances.map((i) => [
    i.serviceId,
    String(i.instance),
    String(i.generation),
    i.desired ? 'yes' : 'no',
    i.containerId ?? '-',
    i.state,
    i.ports === '' ? '-' : i.ports,
  ]);
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, col) => c.padEnd(widths[col] ?? 0))
      .join('  ')
      .trimEnd();
  lines.push(fmt(header));
  for (const row of rows) {
    lines.push(fmt(row));
  }
  if (rows.length === 0) {
    lines.push('(no instances)');
  }
  return `${lines.join('\n')}\n`;
}
