import { type SlaMicroservice } from '@canopy/schema';
import type {
  ApiTokenRecord,
  ApplicationRecord,
  InstanceRecord,
  NewDoc,
  ServiceRecord,
} from '../../src/persistence/records';
import type { Store } from '../../src/persistence/store.port';

/** One store under test, on its own fresh data (a temp directory, a throwaway database). */
export interface StoreHarness {
  store: Store;
  /** Closes the store and opens it again on the same data: what a restart does. */
  reopen(): Promise<Store>;
  /** Closes the store and removes its data. */
  destroy(): Promise<void>;
}

export function app(id: string, ownerId = 'u1', name = id, microservices: string[] = []): NewDoc<ApplicationRecord> {
  return {
    id,
    ownerId,
    customerID: ownerId,
    application_name: name,
    application_namespace: 'ns',
    application_desc: '',
    microservices,
  };
}

export function service(id: string, applicationId: string, ownerId = 'u1'): NewDoc<ServiceRecord> {
  const sla = {
    microserviceID: '',
    microservice_name: id,
    microservice_namespace: 'ns',
    virtualization: 'container',
    code: 'canopy-test/busybox:latest',
    cmd: ['httpd', '-f', '-p', '80'],
    environment: ['A=1', 'B=$not_an_operator'],
    memory: 64,
    vcpus: 1,
    port: '8080:80',
    addresses: {},
    constraints: [{ type: 'direct', cluster: 'c1' }],
    node_labels: { 'kubernetes.io/arch': 'amd64' },
    one_shot: false,
  } as SlaMicroservice;
  return {
    id,
    ownerId,
    applicationId,
    jobName: `a.ns.${id}.ns`,
    sla,
    generation: 1,
    replicas: 2,
    scheduled: true,
    nextInstance: 0,
  };
}

export function instance(serviceId: string, n: number, clusterId?: string): NewDoc<InstanceRecord> {
  return {
    id: `${serviceId}:${n}`,
    ownerId: 'u1',
    serviceId,
    instanceNumber: n,
    generation: 1,
    desired: 'running',
    status: 'REQUESTED',
    statusDetail: '',
    ...(clusterId === undefined ? {} : { clusterId }),
    hostPorts: [],
    history: [{ status: 'REQUESTED', at: '2024-01-01T00:00:00.000Z' }],
  };
}

export function apiToken(id: string, userId = 'sa1', expiresAt?: string): NewDoc<ApiTokenRecord> {
  return {
    id,
    name: `hlo ${id}`,
    secretHash: 'ab'.repeat(32),
    userId,
    createdBy: 'admin1',
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/** The fields a stored record carries beyond what was inserted. */
export const STORED: Record<string, unknown> = {
  version: expect.any(Number) as unknown,
  createdAt: expect.any(String) as unknown,
  updatedAt: expect.any(String) as unknown,
};

/** What the contract's sections share: the harness of the current test and the store it has open (reopen replaces it). */
export interface ContractState {
  h: StoreHarness;
  store: Store;
}
