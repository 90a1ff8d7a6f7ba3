import { Injectable } from '@nestjs/common';
import { instanceKeyString, type InstanceKey, type InstanceSpecDto } from '@canopy/schema';
import { ReservationLedger, schedule, type Decision, type Policy, type Resources } from '@canopy/scheduler';
import type { NodeView } from '../nodes/nodes.service';
import { requestOf, toCandidate, toPlacementRequest, toPolicy } from './placement';

const DEFAULT_POLICY: Policy = 'best-fit';

/**
 * Node placement with reservations. Everything here is synchronous on purpose: a burst of deploys
 * arriving together is placed one after another, each seeing the reservations of the previous one.
 */
@Injectable()
export class SchedulingService {
  private readonly ledger = new ReservationLedger();

  /** Chooses a node and reserves the request on it when one fits. */
  place(spec: InstanceSpecDto, nodes: readonly NodeView[]): Decision {
    const policy = toPolicy(spec.placementPolicy) ?? DEFAULT_POLICY;
    const decision = schedule(nodes.map(toCandidate), this.ledger.reserved, toPlacementRequest(spec), policy, {
      kind: 'node',
    });
    if (decision.ok) this.ledger.reserve(instanceKeyString(spec), decision.candidateId, requestOf(spec));
    return decision;
  }

  /** Re-creates a reservation for a placement read back from storage after a restart. */
  restore(spec: InstanceSpecDto, nodeId: string): void {
    this.ledger.reserve(instanceKeyString(spec), nodeId, requestOf(spec));
  }

  release(key: InstanceKey): void {
    this.ledger.release(instanceKeyString(key));
  }

  reserved = (nodeId: string): Resources => this.ledger.reserved(nodeId);
}
