import type { Logger } from 'pino';
import type { AerosComponentStatus, InfrastructureElement } from '@canopy/schema';
import type { Clock } from '../../common/tokens';
import type { NgsiLdConfig } from '../../config/root-config';
import { outcomeOf, retryDelayMs } from './ngsi-ld-delivery.policy';
import { NgsiLdOutbox, type OutboxRow } from './ngsi-ld-outbox.repository';
import { NgsiLdRequests, NoReply, type Attempt } from './ngsi-ld-requests';
import { componentStatusAttrs, infrastructureElementEntity, isEntityId } from './ngsi-ld.shapes';
import type { NgsiLdTransport } from './ngsi-ld.transport';

/** Heads fetched per outbox query; each is a different entity. */
const BATCH = 100;

/** The enabled publisher: the outbox, the worker and its pacing. */
export class NgsiLdDelivery {
  private readonly outbox: NgsiLdOutbox;
  private readonly abort = new AbortController();
  private readonly requests: NgsiLdRequests;
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
    this.requests = new NgsiLdRequests(transport, this.abort.signal, log);
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
      const attempt =
        row.kind === 'componentStatus'
          ? await this.requests.componentStatus(row)
          : await this.requests.infrastructureElement(row);
      this.settle(row, attempt);
      return attempt.requests;
    } finally {
      this.inFlight = undefined;
    }
  }

  private settle(row: OutboxRow, { request, result, refine }: Attempt): void {
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
