import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { INSTANCE_STATUSES } from '@canopy/schema';
import { constantTimeEqual, UnauthorizedError } from '@canopy/nest-edge';
import { CLUSTER_CONFIG } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import { InstancesService } from '../instances/instances.service';
import { NodesService } from '../nodes/nodes.service';
import { ReportPaceService } from '../nodes/report-pace.service';
import { RootLinkService } from '../root-link/root-link.service';
import { SchedulingService } from '../scheduling/scheduling.service';

/**
 * Prometheus metrics of the cluster, computed at scrape time from the same state the root sees.
 * Needs `CANOPY_METRICS_TOKEN` as a bearer token; without one configured it refuses everyone.
 */
@Controller('metrics')
export class MetricsController {
  private readonly registry = new Registry();

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    nodes: NodesService,
    instances: InstancesService,
    rootLink: RootLinkService,
    scheduling: SchedulingService,
    pace: ReportPaceService,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'canopy_cluster_' });
    new Gauge({
      name: 'canopy_cluster_nodes',
      help: 'Registered worker nodes, by whether their heartbeat is live',
      labelNames: ['active'],
      registers: [this.registry],
      collect() {
        const all = nodes.size;
        const active = nodes.countActive();
        this.set({ active: 'true' }, active);
        this.set({ active: 'false' }, all - active);
      },
    });
    new Gauge({
      name: 'canopy_cluster_heartbeat_age_seconds',
      help: 'Time since the last heartbeat of the active nodes: mean and max',
      labelNames: ['stat'],
      registers: [this.registry],
      collect() {
        const age = nodes.heartbeatAge();
        this.set({ stat: 'mean' }, age.mean);
        this.set({ stat: 'max' }, age.max);
      },
    });
    new Gauge({
      name: 'canopy_cluster_report_interval_seconds',
      help: 'The interval nodes are asked to report at (longer than the default when shedding load)',
      registers: [this.registry],
      collect() {
        this.set(pace.intervalMs / 1000);
      },
    });
    new Gauge({
      name: 'canopy_cluster_instances',
      help: 'Instances this cluster holds, by status',
      labelNames: ['status'],
      registers: [this.registry],
      collect() {
        const counts = new Map<string, number>(INSTANCE_STATUSES.map((s) => [s, 0]));
        for (const r of instances.reports()) {
          counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
        }
        for (const [status, n] of counts) {
          this.set({ status }, n);
        }
      },
    });
    new Gauge({
      name: 'canopy_cluster_free',
      help: 'Free capacity across active nodes after reservations (cpu in millicores, memory in MB)',
      labelNames: ['resource'],
      registers: [this.registry],
      collect() {
        const r = instances.capacity();
        this.set({ resource: 'cpu_millis' }, r.cpuMillisFree);
        this.set({ resource: 'memory_mb' }, r.memoryMbFree);
        this.set({ resource: 'gpus' }, r.gpusFree);
      },
    });
    new Gauge({
      name: 'canopy_cluster_capacity',
      help: 'What the active nodes registered in total (cpu in millicores, memory in MB)',
      labelNames: ['resource'],
      registers: [this.registry],
      collect() {
        const r = instances.capacity();
        this.set({ resource: 'cpu_millis' }, r.cpuMillisTotal);
        this.set({ resource: 'memory_mb' }, r.memoryMbTotal);
      },
    });
    new Counter({
      name: 'canopy_cluster_placements_total',
      help: 'Node placement decisions since the cluster started, by result (placed or why not)',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        // Every result from the start (0 included), so rate() sees the first placement.
        this.reset();
        for (const [result, n] of scheduling.placementCounts()) {
          this.inc({ result }, n);
        }
      },
    });
    new Gauge({
      name: 'canopy_cluster_root_connected',
      help: '1 while the Socket.IO link to the root is up',
      registers: [this.registry],
      collect() {
        this.set(rootLink.connected ? 1 : 0);
      },
    });
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Headers('authorization') authorization?: string): Promise<string> {
    const expected = this.config.metricsToken;
    const given = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : '';
    if (expected === undefined || !constantTimeEqual(given, expected)) {
      throw new UnauthorizedError(
        expected === undefined ? 'metrics are off: set CANOPY_METRICS_TOKEN' : 'wrong metrics token',
      );
    }
    return this.registry.metrics();
  }
}
