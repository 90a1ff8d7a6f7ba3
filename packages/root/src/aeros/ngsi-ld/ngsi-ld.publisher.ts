import type { Logger } from 'pino';
import type { AerosComponentStatus, InfrastructureElement } from '@canopy/schema';
import { systemClock, type Clock } from '../../common/tokens';
import type { NgsiLdConfig } from '../../config/root-config';
import { NgsiLdDelivery } from './ngsi-ld-delivery';
import { FetchNgsiLdTransport, type NgsiLdTransport } from './ngsi-ld.transport';

/** The part of the root's config the publisher reads (the whole `RootConfig` fits). */
export interface NgsiLdPublisherConfig {
  dataDir: string;
  ngsiLd: NgsiLdConfig | null;
}

/**
 * Publishes aerOS ServiceComponent statuses (and, with NGSI_LD_UPSERT_IES, the Infrastructure
 * Elements) to the domain's NGSI-LD context broker, durably and in order.
 *
 * Every update is written to a SQLite outbox before the call returns. One worker sends them: per
 * entity strictly in enqueue order, one at a time, and never coalesced (each transition must be
 * seen); different entities interleave. No reply or a 5xx (408, 429 too) is retried with capped
 * exponential backoff, and the whole worker pauses meanwhile, since the broker is down for
 * everyone; a 4xx is logged with the broker's reply and dropped. A PATCH on an entity the broker
 * does not know (404: the component was made through the LLO API, not by an HLO) creates it.
 *
 * With CB_URL unset the publisher is off: every method is a no-op and no file is created.
 */
export class NgsiLdPublisher {
  private readonly delivery: NgsiLdDelivery | undefined;

  constructor(config: NgsiLdPublisherConfig, log: Logger, clock: Clock = systemClock, transport?: NgsiLdTransport) {
    const settings = config.ngsiLd;
    if (settings !== null) {
      this.delivery = new NgsiLdDelivery(
        settings,
        config.dataDir,
        log.child({ component: 'ngsi-ld' }),
        clock,
        transport ?? new FetchNgsiLdTransport(settings),
      );
    }
  }

  /** False when CB_URL is unset. */
  get enabled(): boolean {
    return this.delivery !== undefined;
  }

  /** Starts the delivery worker; updates queued earlier (also by a previous run) go out first. */
  start(): void {
    this.delivery?.start();
  }

  /**
   * Stops the worker and closes the outbox. A request in flight is abandoned and its update stays
   * queued, so the next start may send it again: a repeat of the same PATCH, in the same place in
   * the order, which the broker applies idempotently.
   */
  async stop(): Promise<void> {
    await this.delivery?.stop();
  }

  /**
   * Queues `PATCH /ngsi-ld/v1/entities/{entityId}/attrs` with `serviceComponentStatus` and the
   * `infrastructureElement` the status implies (see `infrastructureElementFor`). Durable on return.
   */
  componentStatus(entityId: string, status: AerosComponentStatus, infrastructureElement: string | null): void {
    this.delivery?.componentStatus(entityId, status, infrastructureElement);
  }

  /**
   * Queues an upsert of each IE (only with NGSI_LD_UPSERT_IES=true), at most one per IE every
   * NGSI_LD_IE_INTERVAL_MS. IEs are snapshots, so unlike statuses a newer one replaces an unsent
   * older one: the broker only ever needs the latest.
   */
  upsertInfrastructureElements(ies: InfrastructureElement[]): void {
    this.delivery?.upsertInfrastructureElements(ies);
  }

  /** Updates queued and not yet delivered or dropped (they survive a restart). */
  pending(): number {
    return this.delivery?.pending() ?? 0;
  }

  /**
   * Sends what is due now, one request at a time, until nothing is due or the worker must pause;
   * returns the number of requests made. The worker calls it; tests call it with a fake clock.
   */
  async deliverDue(): Promise<number> {
    return (await this.delivery?.deliverDue()) ?? 0;
  }
}
