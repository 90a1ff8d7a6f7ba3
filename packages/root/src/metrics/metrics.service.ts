import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { INSTANCE_STATUSES } from '@canopy/schema';
import { ClustersService } from '../clusters/clusters.service';
import { STORE, type Store } from '../persistence/store.port';

/**
 * Prometheus metrics of the root. Gauges are computed from the store when scraped, so they can
 * never drift from what the API shows. Labels stay low-cardinality: statuses, never ids. One
 * registry per app, so several roots in one process (tests, embedding) do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(@Inject(STORE) store: Store, clusters: ClustersService) {
    collectDefaultMetrics({ register: this.registry, prefix: 'canopy_root_' });
    new Gauge({
      name: 'canopy_instances',
      help: 'Instances the root keeps, by status (undeployed ones excluded)',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const counts = new Map<string, number>(INSTANCE_STATUSES.map((s) => [s, 0]));
        for (const i of await store.instances.find({ desired: 'running' })) {
          counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
        }
        this.reset();
        for (const [status, n] of counts) {
          this.set({ status }, n);
        }
      },
    });
    new Gauge({
      name: 'canopy_services',
      help: 'Services, by whether the root keeps their replicas running',
      labelNames: ['scheduled'],
      registers: [this.registry],
      async collect() {
        const services = await store.services.find();
        this.set({ scheduled: 'true' }, services.filter((s) => s.scheduled).length);
        this.set({ scheduled: 'false' }, services.filter((s) => !s.scheduled).length);
      },
    });
    new Gauge({
      name: 'canopy_clusters',
      help: 'Registered clusters, by whether they are connected now',
      labelNames: ['active'],
      registers: [this.registry],
      async collect() {
        const all = await clusters.list();
        this.set({ active: 'true' }, all.filter((c) => c.active).length);
        this.set({ active: 'false' }, all.filter((c) => !c.active).length);
      },
    });
  }
}
