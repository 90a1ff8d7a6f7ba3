import type { ApplicationRecord, InstanceRecord, ServiceRecord } from '../persistence/records';

/** Plain JSON with string ids (SPEC §4): the shapes the API returns. */
export interface InstanceView {
  instance_number: number;
  task_id: string;
  generation: number;
  status: string;
  status_detail: string;
  cluster_id: string | null;
  /** Placement epoch: grows each time the root places the instance on a cluster (1 for the first). */
  epoch: number;
  worker_id: string | null;
  node_name: string | null;
  publicip: string | null;
  container_id: string | null;
  host_ports: InstanceRecord['hostPorts'];
  status_history: InstanceRecord['history'];
  created_at: string;
  updated_at: string;
}

export function toInstanceView(service: ServiceRecord, i: InstanceRecord): InstanceView {
  return {
    instance_number: i.instanceNumber,
    task_id: `${service.jobName}.instance.${i.instanceNumber}`,
    generation: i.generation,
    status: i.status,
    status_detail: i.statusDetail,
    cluster_id: i.clusterId ?? null,
    epoch: i.epoch ?? 0,
    worker_id: i.nodeId ?? null,
    node_name: i.nodeName ?? null,
    publicip: i.publicIp ?? null,
    container_id: i.containerId ?? null,
    host_ports: i.hostPorts,
    status_history: i.history,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}

export type ServiceView = Record<string, unknown> & {
  microserviceID: string;
  applicationID: string;
  job_name: string;
  instance_list: InstanceView[];
};

/** Registry passwords are write-only (SPEC §9): a view keeps the registry and user name, never the password. */
function withoutSecrets(sla: ServiceRecord['sla']): Record<string, unknown> {
  const { image_registry: registry, ...rest } = sla;
  if (registry === undefined) return { ...rest };
  const { password: _password, ...visible } = registry;
  return { ...rest, image_registry: visible };
}

export function toServiceView(service: ServiceRecord, instances: InstanceRecord[]): ServiceView {
  return {
    ...withoutSecrets(service.sla),
    microserviceID: service.id,
    applicationID: service.applicationId,
    job_name: service.jobName,
    replicas: service.replicas,
    generation: service.generation,
    version: service.version,
    created_at: service.createdAt,
    updated_at: service.updatedAt,
    instance_list: instances
      .filter((i) => i.desired === 'running' || i.status !== 'UNDEPLOYED')
      .sort((a, b) => a.instanceNumber - b.instanceNumber)
      .map((i) => toInstanceView(service, i)),
  };
}

export interface ApplicationView {
  applicationID: string;
  application_name: string;
  application_namespace: string;
  application_desc: string;
  customerID: string;
  userId: string;
  microservices: string[];
  version: number;
  created_at: string;
  updated_at: string;
}

export function toApplicationView(a: ApplicationRecord): ApplicationView {
  return {
    applicationID: a.id,
    application_name: a.application_name,
    application_namespace: a.application_namespace,
    application_desc: a.application_desc,
    customerID: a.customerID,
    userId: a.ownerId,
    microservices: a.microservices,
    version: a.version,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}
