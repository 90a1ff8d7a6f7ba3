import type { Logger } from 'pino';
import type { AerosComponentStatus, InfrastructureElement } from '@canopy/schema';
import { systemClock, type Clock } from '../../common/tokens';
import type { NgsiLdConfig } from '../../config/root-config';
import { outcomeOf, retryDelayMs, type Outcome } from './ngsi-ld-delivery.policy';
import { NgsiLdOutbox, type OutboxRow } from './ngsi-ld-outbox.repository';
import {
  componentEntity,
  componentStatusAttrs,
  infrastructureElementEntity,
  isEntityId,
  type ComponentStatusAttrs,
} from './ngsi-ld.shapes';
import { FetchNgsiLdTransport, type NgsiLdReply, type NgsiLdRequest, type NgsiLdTransport } from './ngsi-ld.transport';

/** The part of the root's config the publisher reads (the whole `RootConfig` fits). */
export interface NgsiLdPublisherConfig {
  dataDir: string;
  ngsiLd: NgsiLdConfig | null;
}

/** Heads fetched per outbox query; each is a different entity. */
const BATCH = 100;

const ENTITIES = '/ngsi-ld/v1/entities';
/** `options=update`: attributes the root does not publish (set by aerOS itself) are kept. */
const UPSERT = '/ngsi-ld/v1/entityOperations/upsert?options=update';

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

/** The enabled publisher: the outbox, the worker and its pacing. */
class NgsiLdDelivery {
  private readonly outbox: NgsiLdOutbox;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private closed = false;
  private pendingAtClose = 0;
  private wake: (() => void) | undefined;
  private inFlight: number | undefined;
  /** Requests in a row that got no reply or a 5xx; paces the worker as a whole. */
  private failures = 0;
  private pausedUntil = 0;
  /** When each IE's latest upsert is (or was) due, for the per-IE rate limit. */
  private readonly ieDueAt = new Map<string, number>();

  constructor(
    private readonly settings: NgsiLdConfig,
    dataDir: string,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly transport: NgsiLdTransport,
  ) {
    this.outbox = new NgsiLdOutbox(dataDir);
  }

  start(): void {
    if (this.loop !== undefined || this.stopping) {
      return;
    }
    this.log.info({ brokerUrl: this.settings.brokerUrl, pending: this.pending() }, 'ngsi-ld publisher started');
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.stopping = true;
    this.abort.abort(new Error('NGSI-LD publisher stopping'));
    this.wake?.();
    await this.loop;
    this.pendingAtClose = this.outbox.count();
    this.outbox.close();
    this.closed = true;
  }

  componentStatus(entityId: string, status: AerosComponentStatus, infrastructureElement: string | null): void {
    if (!this.accepting(entityId)) {
      return;
    }
    const body = JSON.stringify(componentStatusAttrs(status, infrastructureElement));
    const seq = this.outbox.enqueue('componentStatus', entityId, body, this.now());
    this.log.debug({ seq, entityId, status }, 'ngsi-ld update queued');
    this.wake?.();
  }

  upsertInfrastructureElements(ies: InfrastructureElement[]): void {
    if (!this.settings.upsertInfrastructureElements) {
      return;
    }
    const now = this.now();
    for (const ie of ies) {
      if (!this.accepting(ie.id)) {
        continue;
      }
      const body = JSON.stringify(infrastructureElementEntity(ie));
      const waiting = this.outbox
        .rowsOf(ie.id)
        .find((row) => row.kind === 'infrastructureElement' && row.seq !== this.inFlight);
      if (waiting !== undefined) {
        this.outbox.replaceBody(waiting.seq, body);
        continue;
      }
      const dueAt = Math.max(now, (this.ieDueAt.get(ie.id) ?? -Infinity) + this.settings.ieIntervalMs);
      this.ieDueAt.set(ie.id, dueAt);
      this.outbox.enqueue('infrastructureElement', ie.id, body, dueAt);
    }
    this.wake?.();
  }

  pending(): number {
    return this.closed ? this.pendingAtClose : this.outbox.count();
  }

  async deliverDue(): Promise<number> {
    let requests = 0;
    for (;;) {
      if (this.stopping || this.now() < this.pausedUntil) {
        return requests;
      }
      const rows = this.outbox.due(this.now(), BATCH);
      if (rows.length === 0) {
        return requests;
      }
      for (const row of rows) {
        if (this.stopping || this.now() < this.pausedUntil) {
          return requests;
        }
        requests += await this.deliver(row.seq);
      }
    }
  }

  private accepting(entityId: string): boolean {
    if (this.stopping) {
      this.log.warn({ entityId }, 'ngsi-ld publisher stopped; update not queued');
      return false;
    }
    if (!isEntityId(entityId)) {
      // The broker would refuse it with 400 every time; say so now, where the caller can see it.
      this.log.warn({ entityId }, 'ngsi-ld entity id is not a URI; update not queued');
      return false;
    }
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.deliverDue();
      } catch (error) {
        // Only a broken outbox file gets here; keep the worker alive and try again later.
        this.log.error({ err: error }, 'ngsi-ld worker failed');
        this.pausedUntil = this.now() + this.settings.retryMaxMs;
      }
      if (!this.stopping) {
        await this.sleep();
      }
    }
  }

  /** Until the next row is due (and the pause is over), a new update arrives, or stop(). */
  private sleep(): Promise<void> {
    const next = this.outbox.nextDueAt();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      if (next !== undefined) {
        timer = setTimeout(done, Math.max(0, Math.max(next, this.pausedUntil) - this.now()));
      }
    });
  }

  /** Delivers one row (re-read, since an IE row's body may have been replaced); returns requests made. */
  private async deliver(seq: number): Promise<number> {
    const row = this.outbox.get(seq);
    if (row === undefined) {
      return 0;
    }
    this.inFlight = seq;
    try {
      return row.kind === 'componentStatus' ? await this.deliverStatus(row) : await this.deliverIe(row);
    } finally {
      this.inFlight = undefined;
    }
  }

  private async deliverStatus(row: OutboxRow): Promise<number> {
    const patch: NgsiLdRequest = {
      method: 'PATCH',
      path: `${ENTITIES}/${encodeURIComponent(row.entityId)}/attrs`,
      body: row.body,
    };
    let request = patch;
    let result = await this.send(patch);
    let requests = 1;
    if (!(result instanceof NoReply) && outcomeOf(result.status) === 'notFound') {
      this.log.info({ seq: row.seq, entityId: row.entityId }, 'ngsi-ld entity unknown to the broker; creating it');
      const attrs = JSON.parse(row.body) as ComponentStatusAttrs;
      request = { method: 'POST', path: ENTITIES, body: JSON.stringify(componentEntity(row.entityId, attrs)) };
      result = await this.send(request);
      requests += 1;
      if (!(result instanceof NoReply) && outcomeOf(result.status) === 'exists') {
        // Created by someone else since our PATCH: the update itself still has to be applied.
        request = patch;
        result = await this.send(patch);
        requests += 1;
      }
    }
    // A 404 or 409 left over here is a race with someone creating or deleting the entity: retried.
    this.settle(row, request, result, (outcome) =>
      outcome === 'notFound' || outcome === 'exists' ? 'retry' : outcome,
    );
    return requests;
  }

  private async deliverIe(row: OutboxRow): Promise<number> {
    const request: NgsiLdRequest = { method: 'POST', path: UPSERT, body: `[${row.body}]` };
    const result = await this.send(request);
    // 207 is the batch operation's partial failure; with one entity in the batch it failed.
    this.settle(row, request, result, (outcome, status) =>
      status === 207 || outcome === 'notFound' || outcome === 'exists' ? 'reject' : outcome,
    );
    return 1;
  }

  private async send(request: NgsiLdRequest): Promise<NgsiLdReply | NoReply> {
    try {
      return await this.transport.send(request, this.abort.signal);
    } catch (error) {
      return new NoReply(describe(error));
    }
  }

  private settle(
    row: OutboxRow,
    request: NgsiLdRequest,
    result: NgsiLdReply | NoReply,
    refine: (outcome: Outcome, status: number | undefined) => Outcome,
  ): void {
    // Abandoned by stop(): the row stays exactly as it was, to be sent after the next start.
    if (result instanceof NoReply && this.stopping) {
      return;
    }
    const status = result instanceof NoReply ? undefined : result.status;
    const outcome = refine(outcomeOf(status), status);
    const where = { seq: row.seq, entityId: row.entityId, kind: row.kind, method: request.method, path: request.path };
    switch (outcome) {
      case 'delivered':
        this.outbox.remove(row.seq);
        this.failures = 0;
        this.log.debug({ ...where, status }, 'ngsi-ld update delivered');
        return;
      case 'reject':
        this.outbox.remove(row.seq);
        this.failures = 0;
        this.log.error(
          { ...where, status, reply: result instanceof NoReply ? undefined : result.excerpt },
          'ngsi-ld update rejected by the broker; dropped',
        );
        return;
      case 'retry':
      case 'notFound':
      case 'exists': {
        this.failures += 1;
        const attempts = row.attempts + 1;
        const now = this.now();
        // The row backs off by its own count too, so one entity the broker keeps failing on (a
        // 5xx for it alone) is retried ever more slowly while the others flow between its tries.
        const delayMs = retryDelayMs(Math.max(this.failures, attempts), this.settings);
        this.outbox.retryLater(row.seq, attempts, now + delayMs);
        this.pausedUntil = now + retryDelayMs(this.failures, this.settings);
        this.log.warn(
          { ...where, attempts, delayMs, status, reason: result instanceof NoReply ? result.reason : result.excerpt },
          'ngsi-ld delivery failed; will retry',
        );
        return;
      }
    }
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

/** A request that got no reply: refused, reset, timed out or abandoned. */
class NoReply {
  constructor(readonly reason: string) {}
}

/**
 * fetch's "fetch failed" hides the useful part (ECONNREFUSED, ETIMEDOUT…) in its cause. Duck-typed:
 * fetch's errors may come from another realm (under jest), where instanceof Error fails.
 */
function describe(error: unknown): string {
  const e = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const cause = e?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail === '' ? message : `${message}: ${detail}`;
}
