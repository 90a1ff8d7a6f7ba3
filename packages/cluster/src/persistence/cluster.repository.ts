import type { InstanceReportDto, InstanceSpecDto, InstanceStatus } from '@canopy/schema';

/** A registered worker node. The MQTT password is stored only as a SHA-256 digest. */
export interface NodeRecord {
  id: string;
  name: string;
  arch: string;
  cpuCores: number;
  memoryMb: number;
  gpus: number;
  publicIp?: string | undefined;
  labels: Record<string, string>;
  /** `lat,long` */
  location?: string | undefined;
  /** The aerOS IE id the node configured (`NODE_IE_ID`); absent: the cluster derives one. */
  ieId?: string | undefined;
  passwordSha256: string;
  /** SHA-256 of the node's long-lived registration credential; absent for nodes registered before it existed. */
  credentialSha256?: string | undefined;
  /**
   * SHA-256 of the `attemptId` the join-token registration that issued the credential came with:
   * a retry of that registration whose answer was lost presents it to get a fresh credential.
   * Cleared once the node registers with its credential (it got the answer).
   */
  attemptSha256?: string | undefined;
  registeredAt: number;
}

/** What the node last said about an instance, beyond the status itself. */
export type ObservedState = {
  [K in 'status_detail' | 'containerId' | 'hostPorts' | 'at' | 'restarts']?: InstanceReportDto[K] | undefined;
};

/**
 * One instance this cluster is responsible for: the spec the root asked for, where it runs (if
 * placed) and its last known status. Keyed by `serviceId/instanceNumber` ("slot"): a higher
 * generation replaces the record for its slot.
 */
export interface InstanceRecord {
  spec: InstanceSpecDto;
  nodeId?: string | undefined;
  status: InstanceStatus;
  observed: ObservedState;
  /** A delete was sent to the node; the record goes when the node reports UNDEPLOYED. */
  deleting: boolean;
}

/** The cluster's durable state, so a restart forgets neither nodes nor placements. */
export abstract class ClusterRepository {
  abstract listNodes(): NodeRecord[];
  abstract saveNode(node: NodeRecord): void;
  abstract listInstances(): InstanceRecord[];
  abstract saveInstance(record: InstanceRecord): void;
  abstract deleteInstance(serviceId: string, instanceNumber: number): void;
  abstract close(): void;
}
