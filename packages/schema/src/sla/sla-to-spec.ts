import type { InstanceKey } from '../names';
import type { InstanceSpecDto } from '../wire/instance-spec.dto';
import { requiredNodeLabels } from './placement-constraints';
import { parsePortSpec } from './port-spec';
import { PLACEMENT_POLICY_ALIASES, type PlacementPolicy, type SlaMicroservice } from './sla.dto';

/** The policy a microservice asked for, under either key and any accepted spelling. */
export function placementPolicyOf(
  ms: Pick<SlaMicroservice, 'placement_policy' | 'placementPolicy'>,
): PlacementPolicy | undefined {
  const raw = ms.placement_policy ?? ms.placementPolicy;
  return raw === undefined ? undefined : PLACEMENT_POLICY_ALIASES[raw];
}

/**
 * What a node runs for one instance of a validated microservice. Pure; the `port` string was
 * already checked by validation, so a parse failure here is a programming error.
 */
export function microserviceToInstanceSpec(ms: SlaMicroservice, key: InstanceKey, jobName: string): InstanceSpecDto {
  const ports = parsePortSpec(ms.port ?? '');
  if (!ports.ok) {
    throw new TypeError(`unvalidated port spec: ${ports.message}`);
  }
  const spec: InstanceSpecDto = {
    serviceId: key.serviceId,
    instanceNumber: key.instanceNumber,
    generation: key.generation,
    jobName,
    image: ms.code,
    cmd: [...(ms.cmd ?? []), ...(ms.args ?? [])],
    environment: [...(ms.environment ?? [])],
    ports: ports.mappings,
    memoryMb: ms.memory ?? 0,
    vcpus: ms.vcpus ?? 0,
    vgpus: ms.vgpus ?? 0,
    oneShot: ms.one_shot ?? false,
    privileged: ms.privileged ?? false,
  };
  if (ms.constraints && ms.constraints.length > 0) {
    spec.constraints = ms.constraints.map((c) => ({ ...c }));
  }
  if (ms.image_registry !== undefined) {
    const { url, username, password } = ms.image_registry;
    spec.registryAuth = { username, password, ...(url === undefined || url === '' ? {} : { serveraddress: url }) };
  }
  if (ms.host_network === true) {
    spec.hostNetwork = true;
  }
  if (ms.host_pid === true) {
    spec.hostPid = true;
  }
  if (ms.host_ipc === true) {
    spec.hostIpc = true;
  }
  if (ms.binds !== undefined && ms.binds.length > 0) {
    spec.binds = [...ms.binds];
  }
  if (ms.cap_add !== undefined && ms.cap_add.length > 0) {
    spec.capAdd = [...ms.cap_add];
  }
  const policy = placementPolicyOf(ms);
  if (policy !== undefined) {
    spec.placementPolicy = policy;
  }
  if (ms.arch !== undefined) {
    spec.arch = ms.arch;
  }
  const nodeLabels = requiredNodeLabels(ms);
  if (nodeLabels !== undefined) {
    spec.nodeLabels = nodeLabels;
  }
  return spec;
}
