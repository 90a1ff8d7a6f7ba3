import type { Logger } from 'pino';
import type { Outcome } from './ngsi-ld-delivery.policy';
import { outcomeOf } from './ngsi-ld-delivery.policy';
import type { OutboxRow } from './ngsi-ld-outbox.repository';
import { componentEntity, type ComponentStatusAttrs } from './ngsi-ld.shapes';
import type { NgsiLdReply, NgsiLdRequest, NgsiLdTransport } from './ngsi-ld.transport';

export const ENTITIES = '/ngsi-ld/v1/entities';
/** `options=update`: attributes the root does not publish (set by aerOS itself) are kept. */
export const UPSERT = '/ngsi-ld/v1/entityOperations/upsert?options=update';

/**
 * What one outbox row's delivery did: the last request and its result, how many requests it took,
 * and how this kind of row reads the broker's answer (`refine`, applied to the status's outcome).
 */
export interface Attempt {
  request: NgsiLdRequest;
  result: NgsiLdReply | NoReply;
  requests: number;
  refine: (outcome: Outcome, status: number | undefined) => Outcome;
}

/** The requests that deliver one outbox row to the broker (the worker decides what the answer means for the row). */
export class NgsiLdRequests {
  constructor(
    private readonly transport: NgsiLdTransport,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  /** PATCH the status; an entity the broker does not know is created (POST), and patched again if someone else just did. */
  async componentStatus(row: OutboxRow): Promise<Attempt> {
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
    return {
      request,
      result,
      requests,
      refine: (outcome) => (outcome === 'notFound' || outcome === 'exists' ? 'retry' : outcome),
    };
  }

  /** One IE upserted in a batch of one. */
  async infrastructureElement(row: OutboxRow): Promise<Attempt> {
    const request: NgsiLdRequest = { method: 'POST', path: UPSERT, body: `[${row.body}]` };
    const result = await this.send(request);
    return {
      request,
      result,
      requests: 1,
      // 207 is the batch operation's partial failure; with one entity in the batch it failed.
      refine: (outcome, status) =>
        status === 207 || outcome === 'notFound' || outcome === 'exists' ? 'reject' : outcome,
    };
  }

  private async send(request: NgsiLdRequest): Promise<NgsiLdReply | NoReply> {
    try {
      return await this.transport.send(request, this.signal);
    } catch (error) {
      return new NoReply(describe(error));
    }
  }
}

/** A request that got no reply: refused, reset, timed out or abandoned. */
export class NoReply {
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
