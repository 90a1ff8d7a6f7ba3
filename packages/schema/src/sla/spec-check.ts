import type { FieldError } from '../validation/validate';
import { validateInput } from '../validation/validate';
import { InstanceSpecDto } from '../wire/instance-spec.dto';
import { microserviceToInstanceSpec } from './sla-to-spec';
import type { SlaMicroservice } from './sla.dto';

/** The SLA field each instance-spec field is made from (see {@link microserviceToInstanceSpec}). */
const SLA_FIELD_OF: Readonly<Record<string, string>> = {
  jobName: 'microservice_name',
  image: 'code',
  cmd: 'cmd',
  environment: 'environment',
  ports: 'port',
  memoryMb: 'memory',
  vcpus: 'vcpus',
  vgpus: 'vgpus',
  oneShot: 'one_shot',
  privileged: 'privileged',
  constraints: 'constraints',
  placementPolicy: 'placement_policy',
  arch: 'arch',
  nodeLabels: 'node_labels',
  registryAuth: 'image_registry',
  hostNetwork: 'host_network',
  hostPid: 'host_pid',
  hostIpc: 'host_ipc',
  binds: 'binds',
  capAdd: 'cap_add',
};

const REGISTRY_FIELD_OF: Readonly<Record<string, string>> = { serveraddress: 'url' };

/** A spec used only to check a microservice before any real id exists: as long as a real one. */
const PLACEHOLDER_SERVICE_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Whether the instance spec the root would send for `ms` is one the cluster and node accept: the
 * same `InstanceSpecDto` validation they apply, run at the root at create and update, so an SLA
 * that passes its own checks but makes a spec the lower tiers refuse (65 node labels once
 * `realtime` adds one, a 1,025-character bind, a job name over 256 characters) is a 400 at once
 * instead of an entry every sync carries and the cluster drops. Errors name the SLA field, with
 * `prefix` (e.g. `applications[0].microservices[1]`) in front.
 */
export function instanceSpecErrors(
  ms: SlaMicroservice,
  jobName: string,
  prefix = '',
  serviceId: string = PLACEHOLDER_SERVICE_ID,
): FieldError[] {
  const at = (path: string): string => (prefix === '' ? path : `${prefix}.${path}`);
  let spec: InstanceSpecDto;
  try {
    spec = microserviceToInstanceSpec(ms, { serviceId, instanceNumber: 0, generation: 1 }, jobName);
  } catch (error) {
    return [{ path: at('port'), message: error instanceof Error ? error.message : String(error) }];
  }
  const result = validateInput(InstanceSpecDto, spec);
  if (result.ok) return [];
  const cmdLength = ms.cmd?.length ?? 0;
  return result.errors.map((e) => {
    const match = /^([A-Za-z]+)(.*)$/.exec(e.path);
    const field = match?.[1] ?? '';
    let rest = match?.[2] ?? '';
    let slaField = SLA_FIELD_OF[field];
    if (slaField === undefined) return { path: at(e.path), message: e.message };
    if (field === 'cmd') {
      // The spec's cmd is the SLA's cmd followed by its args.
      const index = /^\[(\d+)\]/.exec(rest);
      if (index?.[1] !== undefined && Number(index[1]) >= cmdLength) {
        slaField = 'args';
        rest = `[${Number(index[1]) - cmdLength}]${rest.slice(index[0].length)}`;
      }
    }
    if (field === 'registryAuth') rest = rest.replace(/^\.(\w+)/, (_m, k: string) => `.${REGISTRY_FIELD_OF[k] ?? k}`);
    if (field === 'ports') rest = '';
    const message = e.message.startsWith(field) ? `${slaField}${e.message.slice(field.length)}` : e.message;
    return { path: at(`${slaField}${rest}`), message: `${message} (in the instance spec sent to clusters)` };
  });
}
