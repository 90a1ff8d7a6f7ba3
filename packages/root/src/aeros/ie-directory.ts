import type { AerosComponentStatus } from '@canopy/schema';

/** An Infrastructure Element as the aerOS surfaces need it: where a `selectedIE` pins a component. */
export interface ResolvedIe {
  id: string;
  hostname: string;
  clusterId: string;
  clusterName: string;
}

export type IeResolution = { ok: true; ie: ResolvedIe } | { ok: false; message: string };

/** Resolves `selectedIE` (a string, or `{id, hostname}`) to a known node, by id, `IE` short id or hostname. */
export interface IeDirectory {
  resolveInfrastructureElement(ref: string | { id?: string; hostname?: string }): Promise<IeResolution>;
}

export const IE_DIRECTORY = Symbol('IE_DIRECTORY');

/** Where component status changes go: the NGSI-LD publisher (which does nothing when `CB_URL` is unset). */
export interface ComponentStatusSink {
  componentStatus(entityId: string, status: AerosComponentStatus, infrastructureElement: string | null): void;
}

export const COMPONENT_STATUS_SINK = Symbol('COMPONENT_STATUS_SINK');
