import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { InstanceStatus } from '@canopy/schema';
import { LOGGER, ROOT_CONFIG } from '../common/tokens';
import type { RootConfig } from '../config/root-config';
import type { ServiceRecord } from '../persistence/records';
import { STORE, type Store } from '../persistence/store.port';
import { InstancesService } from './instances.service';
import { planReplicas } from './replicas.planner';
import { ServiceLocks } from './service-locks';

/** A pass stops after this many plan rounds even if there is more to do: the next pass continues. */
const MAX_ROUNDS_PER_PASS = 10;

/**
 * Keeps every deployed service at `replicas` instances of its current generation (level-triggered:
 * on a timer, and at once after an edit or when an instance becomes RUNNING, which is what moves a
 * rollout forward). Planning is `planReplicas`; this class only executes the steps.
 */
@Injectable()
export class ReplicasReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(ROOT_CONFIG) private readonly config: RootConfig,
    private readonly instances: InstancesService,
    private readonly locks: ServiceLocks,
  ) {}

  onApplicationBootstrap(): void {
    this.instances.onStatusChange((serviceId, status) => {
      // RUNNING moves a rollout on; UNDEPLOYED may be an instance that ended unasked and needs a replacement.
      if (status === InstanceStatus.RUNNING || status === InstanceStatus.UNDEPLOYED) this.kick(serviceId);
    });
    this.timer = setInterval(() => void this.reconcileAll(), this.config.reconcileIntervalMs);
    this.timer.unref();
    // A root that restarts picks up where it stopped (e.g. an instance created but never placed).
    void this.reconcileAll();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Reconcile one service soon, without waiting for the timer. */
  kick(serviceId: string): void {
    setImmediate(() => void this.reconcile(serviceId));
  }

  async reconcileAll(): Promise<void> {
    const services = await this.store.services.find({ scheduled: true });
    for (const service of services) await this.reconcile(service.id);
  }

  async reconcile(serviceId: string): Promise<void> {
    if (this.stopped) return;
    try {
      await this.locks.run(serviceId, () => this.converge(serviceId));
    } catch (error) {
      this.log.error({ err: error, serviceId }, 'replica reconcile failed');
    }
  }

  /** Must run under the service's lock. */
  async converge(serviceId: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS_PER_PASS && !this.stopped; round++) {
      const service = await this.store.services.get(serviceId);
      if (!service) return;
      const steps = planReplicas(service, await this.instances.listForService(serviceId));
      for (const step of steps) await this.execute(service, step);
      // Placement retries that fail again would fail again at once: leave them to the next tick.
      if (steps.every((s) => s.kind === 'place')) return;
    }
  }

  private async execute(service: ServiceRecord, step: ReturnType<typeof planReplicas>[number]): Promise<void> {
    switch (step.kind) {
      case 'deploy':
        await this.instances.deploy(service);
        return;
      case 'undeploy':
        await this.instances.undeploy(service, step.instanceNumber);
        return;
      case 'place':
        await this.instances.retryPlacement(service, step.instanceNumber);
        return;
      case 'retire':
        await this.instances.retire(service, step.instanceNumber);
        return;
    }
  }
}
