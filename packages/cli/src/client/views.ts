/** The parts of the root's REST views (packages/root, SPEC §4) the CLI reads. */
export interface ApplicationView {
  applicationID: string;
  application_name: string;
  application_namespace: string;
  microservices: string[];
  created_at: string;
}

export interface InstanceView {
  instance_number: number;
  status: string;
  status_detail: string;
  node_name: string | null;
  host_ports: { host_port: number; container_port: number; protocol: string }[];
  status_history: { status: string; at: string; detail?: string }[];
  /** Latest measured usage: percent of one core, MB; null before the first sample. */
  cpu?: number | null | undefined;
  memory?: number | null | undefined;
}

export interface ServiceView {
  microserviceID: string;
  applicationID: string;
  microservice_name: string;
  microservice_namespace: string;
  job_name: string;
  code: string;
  replicas: number;
  generation: number;
  memory?: number | undefined;
  vcpus?: number | undefined;
  port?: string | undefined;
  instance_list: InstanceView[];
  /** Added by the CLI from the application list. */
  application_name?: string | undefined;
  [field: string]: unknown;
}

/** One row of `canopy get instances`. */
export interface InstanceRow extends InstanceView {
  service_id: string;
  service_name: string;
}

export interface ClusterView {
  id: string;
  cluster_name: string;
  cluster_location: string | null;
  active: boolean;
  resources: { activeNodes?: number } | null;
}

export interface NodeView {
  id: string;
  hostname: string;
  clusterName?: string | undefined;
  infrastructureElementStatus: string;
  cpuCores: number;
  ramCapacity: number;
}
