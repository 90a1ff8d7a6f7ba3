import type { SlaMicroservice } from '../sla/sla.dto';
import type { AerosServiceComponent } from './service-component.dto';

/** aerOS `cliArgs` flattened in order: key, then value if present; a key without value is a bare flag. */
export function flattenCliArgs(args: ReadonlyArray<{ key: string; value?: string }>): string[] {
  return args.flatMap((a) => (a.value === undefined ? [a.key] : [a.key, a.value]));
}

/** The node a CR pins to, from either spelling of `selectedIE`. */
export function selectedNode(cr: AerosServiceComponent): string | undefined {
  const ie = cr.spec.selectedIE;
  if (ie === undefined || ie === null) {
    return undefined;
  }
  return typeof ie === 'string' ? ie : ie.hostname || ie.id;
}

/**
 * A CR and an SLA microservice are two spellings of one internal service (SPEC §5). CR names may
 * contain dashes, which SLA names may not, so they are dropped for the SLA-side name.
 */
export function serviceComponentToMicroservice(cr: AerosServiceComponent): SlaMicroservice {
  const name = cr.metadata.name.replace(/[^a-zA-Z0-9]/g, '').slice(0, 30) || 'component';
  const node = selectedNode(cr);
  // A port listed twice would map the same host port twice, which the SLA side rightly rejects;
  // in a CR it only repeats itself, so it is merged.
  const ports = [
    ...new Set(
      (cr.spec.ports ?? []).map((p) => {
        const proto = (p.protocol ?? 'tcp').toLowerCase();
        // exposePorts (false when absent, as in aerOS's Go model) publishes on the same host port;
        // otherwise the node publishes the container port on one Docker picks.
        const entry = cr.spec.exposePorts === true ? `${p.number}:${p.number}` : `${p.number}`;
        return proto === 'udp' ? `${entry}/udp` : entry;
      }),
    ),
  ];
  const ms: SlaMicroservice = {
    microservice_name: name,
    microservice_namespace: 'aeros',
    virtualization: 'container',
    code: cr.spec.image,
    cmd: flattenCliArgs(cr.spec.cliArgs ?? []),
    environment: (cr.spec.envVars ?? []).map((e) => `${e.key}=${e.value ?? ''}`),
    one_shot: cr.spec.isJob ?? false,
    privileged: cr.spec.privileged ?? false,
  };
  if (ports.length > 0) {
    ms.port = ports.join(';');
  }
  const registry = cr.spec.imageRegistry;
  // @IsOptional lets `null` through as well as a missing field.
  if (registry !== undefined && registry !== null) {
    ms.image_registry = {
      username: registry.username,
      password: registry.password,
      ...(registry.url === undefined || registry.url === '' ? {} : { url: registry.url }),
    };
  }
  if (node !== undefined) {
    ms.constraints = [{ type: 'direct', node }];
  }
  return ms;
}
