import type { Command } from 'commander';
import type { ApiClient } from '../client/api-client';
import { parseFormat, render, type Column, type OutputFormat } from '../client/output';
import type { ApplicationView, ClusterView, InstanceRow, NodeView, ServiceView } from '../client/views';
import { allServices, applications, client, formatOption, out, running } from './shared';

// ---- columns ----

const APP_COLUMNS: Column<ApplicationView>[] = [
  { header: 'id', value: (a) => a.applicationID },
  { header: 'name', value: (a) => a.application_name },
  { header: 'namespace', value: (a) => a.application_namespace },
  { header: 'services', value: (a) => a.microservices.length },
  { header: 'created', value: (a) => a.created_at },
];
const SERVICE_COLUMNS: Column<ServiceView>[] = [
  { header: 'id', value: (s) => s.microserviceID },
  { header: 'name', value: (s) => s.microservice_name },
  { header: 'application', value: (s) => s.application_name ?? s.applicationID },
  { header: 'image', value: (s) => s.code },
  { header: 'replicas', value: (s) => s.replicas },
  { header: 'running', value: (s) => `${running(s)}/${s.instance_list.length}` },
];
const INSTANCE_COLUMNS: Column<InstanceRow>[] = [
  { header: 'service', value: (i) => i.service_name },
  { header: 'instance', value: (i) => i.instance_number },
  { header: 'status', value: (i) => i.status },
  { header: 'node', value: (i) => i.node_name },
  { header: 'cpu', value: (i) => (typeof i.cpu === 'number' ? `${i.cpu}%` : '-') },
  { header: 'memory', value: (i) => (typeof i.memory === 'number' ? `${i.memory} MB` : '-') },
  {
    header: 'ports',
    value: (i) => i.host_ports.map((p) => `${p.host_port}->${p.container_port}/${p.protocol}`).join(','),
  },
  { header: 'detail', value: (i) => i.status_detail },
];
const CLUSTER_COLUMNS: Column<ClusterView>[] = [
  { header: 'id', value: (c) => c.id },
  { header: 'name', value: (c) => c.cluster_name },
  { header: 'location', value: (c) => c.cluster_location },
  { header: 'active', value: (c) => String(c.active) },
  { header: 'nodes', value: (c) => c.resources?.activeNodes ?? null },
];
const NODE_COLUMNS: Column<NodeView>[] = [
  { header: 'id', value: (n) => n.id },
  { header: 'hostname', value: (n) => n.hostname },
  { header: 'cluster', value: (n) => n.clusterName },
  {
    header: 'status',
    value: (n) =>
      String(n.infrastructureElementStatus ?? '')
        .split(':')
        .pop(),
  },
  { header: 'cpu', value: (n) => n.cpuCores },
  { header: 'ram', value: (n) => n.ramCapacity },
];

/** `canopy get applications|services|instances|clusters|nodes`. */
export function registerGet(program: Command): void {
  const get = program.command('get').description('list applications, services, instances, clusters or nodes');
  const getter = <T>(
    name: string,
    alias: string,
    description: string,
    load: (api: ApiClient) => Promise<{ rows: T[]; columns: Column<T>[] }>,
  ) =>
    formatOption(get.command(name).alias(alias).description(description)).action(async (opts: { output: string }) => {
      const format: OutputFormat = parseFormat(opts.output);
      const { rows, columns } = await load(client());
      if (format === 'table' && rows.length === 0) {
        out(`no ${name}`);
      } else {
        out(render(format, rows, columns));
      }
    });
  getter('applications', 'application', 'your applications (every one for an admin)', async (api) => ({
    rows: await applications(api),
    columns: APP_COLUMNS,
  }));
  getter('services', 'service', 'the services of your applications', async (api) => ({
    rows: await allServices(api),
    columns: SERVICE_COLUMNS,
  }));
  getter('instances', 'instance', 'the instances of your services', async (api) => ({
    rows: (await allServices(api)).flatMap((s) =>
      s.instance_list.map((i): InstanceRow => ({
        service_id: s.microserviceID,
        service_name: s.microservice_name,
        ...i,
      })),
    ),
    columns: INSTANCE_COLUMNS,
  }));
  getter('clusters', 'cluster', 'the clusters attached to the root', async (api) => ({
    rows: await api.call<ClusterView[]>('GET', '/api/clusters'),
    columns: CLUSTER_COLUMNS,
  }));
  getter('nodes', 'node', 'every node, as an aerOS Infrastructure Element', async (api) => ({
    rows: await api.call<NodeView[]>('GET', '/api/infrastructure-elements'),
    columns: NODE_COLUMNS,
  }));
}
