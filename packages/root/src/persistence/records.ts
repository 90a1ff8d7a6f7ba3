import { type InstanceStatus, type SlaMicroservice, type AerosKind, type ClusterResourcesDto } from '@canopy/schema';

/** Fields every stored record carries. `version` makes concurrent updates detectable (stale → 409). */
export interface Doc {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type NewDoc<T extends Doc> = Omit<T, 'version' | 'createdAt' | 'updatedAt'>;

export type Role = 'Admin' | 'Application_Provider';

export interface UserRecord extends Doc {
  username: string;
  passwordHash: string;
  role: Role;
  organizationId?: string | undefined;
  /**
   * A machine identity (the aerOS service account): created on demand, no password (its hash is
   * not an argon2 hash, so no login can succeed), refused by `POST /api/auth/login`.
   */
  serviceAccount?: boolean | undefined;
  /** Oakestra's user field; optional (Canopy sends no mail). */
  email?: string | undefined;
  /**
   * Bumped when the user's role or password changes: every token carries the version it was
   * issued under, and a token of an older version is refused at once (SPEC §9).
   */
  tokenVersion?: number | undefined;
  /** Admin-set limits (`PUT /api/user/<id>/quota`); a field absent takes the CANOPY_QUOTA_* default. */
  quota?: { instances?: number; vcpus?: number; memoryMb?: number } | undefined;
  /** Live refresh-token families (one per login), each with the one refresh token id still good. */
  refreshFamilies?: RefreshFamily[] | undefined;
}

/**
 * A login's chain of refresh tokens. Each refresh replaces `currentJti`; presenting an older token
 * of the chain means it was stolen or replayed, and the whole family is revoked.
 */
export interface RefreshFamily {
  id: string;
  currentJti: string;
  /** ISO time after which the family is dropped (the last refresh token's expiry). */
  expiresAt: string;
}

export interface OrganizationRecord extends Doc {
  name: string;
  description: string;
}

export interface ApplicationRecord extends Doc {
  ownerId: string;
  customerID: string;
  application_name: string;
  application_namespace: string;
  application_desc: string;
  /** service ids, in descriptor order */
  microservices: string[];
}

export interface ServiceRecord extends Doc {
  ownerId: string;
  applicationId: string;
  /** `<app>.<appns>.<svc>.<svcns>` */
  jobName: string;
  /** The validated microservice as submitted (ids blanked). */
  sla: SlaMicroservice;
  /** Bumped by every spec change; instances of an older generation get replaced. */
  generation: number;
  replicas: number;
  /**
   * Whether the system keeps `replicas` instances running. Oakestra's flow creates a service first
   * and deploys it with `POST /api/service/<id>/instance`; a descriptor or update that states
   * `replicas` explicitly asks for it at once.
   */
  scheduled: boolean;
  /** Next instance number; numbers are never reused (SPEC §3). */
  nextInstance: number;
  /**
   * How a new generation replaces the old: `surge` (default) starts the new instance and removes an
   * old one once it runs; `recreate` removes the old ones first, for instances that cannot run side
   * by side (the same node and fixed host ports).
   */
  rollout?: 'surge' | 'recreate' | undefined;
}

export type DesiredState = 'running' | 'deleted';

export interface StatusChange {
  status: InstanceStatus;
  at: string;
  detail?: string | undefined;
}

export interface HostPort {
  container_port: number;
  host_port: number;
  protocol: 'tcp' | 'udp';
}

export interface InstanceRecord extends Doc {
  ownerId: string;
  serviceId: string;
  instanceNumber: number;
  generation: number;
  /**
   * The service's spec when this instance was made (its generation's). Older records may lack it;
   * the service's current spec stands in then.
   */
  sla?: SlaMicroservice | undefined;
  desired: DesiredState;
  status: InstanceStatus;
  statusDetail: string;
  clusterId?: string | undefined;
  /**
   * Placement epoch: bumped each time the root (re)places the instance on a cluster, never lowered
   * (records that predate it count as 0). Sent down in the spec; a report naming an older epoch
   * never changes the record.
   */
  epoch?: number | undefined;
  nodeId?: string | undefined;
  nodeName?: string | undefined;
  publicIp?: string | undefined;
  containerId?: string | undefined;
  /** How many times its node restarted the container after a crash (as the cluster last reported). */
  restarts?: number | undefined;
  hostPorts: HostPort[];
  history: StatusChange[];
}

export interface ClusterRecord extends Doc {
  name: string;
  location?: string | undefined;
  /** SHA-256 of the credential an admin registered the cluster with; absent: a shared-token cluster. */
  credentialSha256?: string | undefined;
  lastSeenAt?: string | undefined;
  resources?: ClusterResourcesDto | undefined;
}

/**
 * A long-lived API token an admin minted for a machine client (an aerOS HLO). The token itself is
 * `canopy_at_<id>_<secret>`; only the SHA-256 of the secret is kept. Deleting the record revokes it.
 */
export interface ApiTokenRecord extends Doc {
  name: string;
  /** SHA-256 hex of the secret part. */
  secretHash: string;
  /** The user the token acts as (the aerOS service account at the time it was minted). */
  userId: string;
  /** The admin who minted it. */
  createdBy: string;
  /** ISO time after which the token is refused; absent = no expiry. */
  expiresAt?: string | undefined;
}

/**
 * An aerOS custom resource (ServiceComponentDocker/K8s). `id` is `<plural>/<namespace>/<name>`, so a
 * second CR of one kind, namespace and name is an insert conflict. The CR runs as the Canopy service
 * `serviceId` (one replica, pinned to the IE it names).
 */
export interface ComponentRecord extends Doc {
  ownerId: string;
  kind: AerosKind;
  namespace: string;
  name: string;
  /** Kubernetes' `metadata.uid` */
  uid: string;
  /** Kubernetes' `metadata.generation`: bumped when `spec` changes. */
  generation: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The validated spec as submitted (plain JSON). */
  spec: Record<string, unknown>;
  applicationId: string;
  serviceId: string;
  /** The NGSI-LD ServiceComponent entity this CR reports to. */
  entityId: string;
  /** The IE `selectedIE` resolved to, at the last write. */
  ieId: string;
  hostname: string;
  clusterName: string;
}
