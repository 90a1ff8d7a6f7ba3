import { createHash } from 'node:crypto';
import { AEROS_GROUP, AEROS_KIND_INFO, AEROS_VERSION } from '@canopy/schema';
import { GROUP_VERSION, K8S_VERSION } from './k8s-objects';

/**
 * The media type `/openapi/v2` answers protobuf with. kubectl asks for `...spec.v2@v1.0+protobuf`,
 * but Go's mime parser (which client-go runs on the response) refuses the `@`; the API server's
 * kube-openapi answers with this spelling.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function protoString(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([protoKey(field), varint(bytes.length), bytes]);
}

function protoMessage(field: number, body: Buffer): Buffer {
  return Buffer.concat([protoKey(field), varint(body.length), body]);
}

function protoKey(field: number): Buffer {
  return varint((field << 3) | 2);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/**
 * A minimal OpenAPI v2 document as gnostic protobuf (`openapi_v2.Document{swagger, info}`), hand
 * encoded to spare a protobuf dependency. kubectl downloads it before every `apply` to validate
 * objects client-side and to pick the patch type; with no definitions in it, our kinds are unknown
 * to that validator (it skips them) and kubectl falls back to a JSON merge patch, which is what it
 * does for every custom resource. Without a parseable document kubectl 1.20 refuses to apply
 * unless given `--validate=false`.
 */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([protoString(1, 'Canopy Kubernetes API surface'), protoString(2, K8S_VERSION.gitVersion)]);
  return Buffer.concat([protoString(1, '2.0'), protoMessage(2, info)]);
}

export function openApiV2Json(): object {
  return {
    swagger: '2.0',
    info: { title: 'Canopy Kubernetes API surface', version: K8S_VERSION.gitVersion },
    paths: {},
    definitions: {},
  };
}

const V3_GV_PATH = `apis/${AEROS_GROUP}/${AEROS_VERSION}`;

/**
 * The per-group-version OpenAPI v3 document kubectl ≥1.27 reads for `explain` and to decide how to
 * patch. PATCH declares only merge, JSON and apply patches (as the API server does for custom
 * resources), so kubectl never sends a strategic merge patch; `fieldValidation` is not declared, so
 * kubectl validates client-side rather than asking for server-side strict decoding.
 */
export function openApiV3GroupVersion(): object {
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': {
      type: 'object',
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status': {
      type: 'object',
      description: 'Status is a return value for calls that do not return other objects.',
      'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Status' }],
    },
  };
  for (const info of Object.values(AEROS_KIND_INFO)) {
    const gvk = { group: AEROS_GROUP, version: AEROS_VERSION, kind: info.kind };
    const ref = { $ref: `#/components/schemas/${schemaName(info.kind)}` };
    const listRef = { $ref: `#/components/schemas/${schemaName(`${info.kind}List`)}` };
    const ok = (schema: object) => ({ description: 'OK', content: { 'application/json': { schema } } });
    const op = (action: string, extra: object = {}) => ({
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      responses: { '200': ok(ref) },
      ...extra,
    });
    const nameParams = [
      { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } },
    ];
    paths[`/apis/${AEROS_GROUP}/${AEROS_VERSION}/namespaces/{namespace}/${info.plural}`] = {
      parameters: [nameParams[1]],
      get: op('list', { responses: { '200': ok(listRef) } }),
      post: op('post', { requestBody: { content: { 'application/json': { schema: ref } } } }),
    };
    paths[`/apis/${AEROS_GROUP}/${AEROS_VERSION}/namespaces/{namespace}/${info.plural}/{name}`] = {
      parameters: nameParams,
      get: op('get'),
      put: op('put', { requestBody: { content: { 'application/json': { schema: ref } } } }),
      patch: op('patch', {
        requestBody: {
          content: Object.fromEntries(
            ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'].map((t) => [
              t,
              { schema: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } },
            ]),
          ),
        },
      }),
      delete: op('delete'),
    };
    paths[`/apis/${AEROS_GROUP}/${AEROS_VERSION}/${info.plural}`] = {
      get: op('list', { responses: { '200': ok(listRef) } }),
    };
    schemas[schemaName(info.kind)] = componentSchema(info.kind);
    schemas[schemaName(`${info.kind}List`)] = {
      type: 'object',
      description: `${info.kind}List is a list of ${info.kind}.`,
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        items: { type: 'array', items: ref },
      },
      'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${info.kind}List` }],
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Canopy Kubernetes API surface', version: K8S_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

/** `/openapi/v3`: where each group-version's document lives, with a hash so clients can cache it. */
export function openApiV3Root(): object {
  const hash = createHash('sha512').update(JSON.stringify(openApiV3GroupVersion())).digest('hex').toUpperCase();
  // Rooted at /openapi/v3 so client-go keeps the `/k8s` prefix of `--server` in front of it.
  return { paths: { [V3_GV_PATH]: { serverRelativeURL: `/openapi/v3/${V3_GV_PATH}?hash=${hash}` } } };
}

function schemaName(kind: string): string {
  return `eu.aeros-project.llo.${AEROS_VERSION}.${kind}`;
}

function componentSchema(kind: string): object {
  const keyValue = (description: string, valueRequired: boolean) => ({
    type: 'array',
    description,
    items: {
      type: 'object',
      required: valueRequired ? ['key', 'value'] : ['key'],
      properties: { key: { type: 'string' }, value: { type: 'string' } },
    },
  });
  return {
    type: 'object',
    description: `An aerOS ${kind}: one container Canopy runs on the Infrastructure Element named by spec.selectedIE.`,
    properties: {
      apiVersion: { type: 'string', description: `Always ${GROUP_VERSION}.` },
      kind: { type: 'string', description: `Always ${kind}.` },
      metadata: { type: 'object', description: 'Standard object metadata (name, namespace, labels, annotations).' },
      spec: {
        type: 'object',
        description: 'What to run and where.',
        required: ['image'],
        properties: {
          selectedIE: {
            description: 'The IE to run on: its id (urn:ngsi-ld:InfrastructureElement:...) or {id, hostname}.',
            'x-kubernetes-preserve-unknown-fields': true,
          },
          image: { type: 'string', description: 'Container image reference.' },
          ports: {
            type: 'array',
            description: 'Container ports.',
            items: {
              type: 'object',
              required: ['number'],
              properties: { number: { type: 'integer', format: 'int32' }, protocol: { type: 'string' } },
            },
          },
          cliArgs: keyValue('Container arguments, flattened in order: key, then value when present.', false),
          envVars: keyValue('Environment variables.', true),
          exposePorts: { type: 'boolean', description: 'Publish the ports on the node.' },
          isJob: { type: 'boolean', description: 'Run to completion instead of as a service.' },
          privileged: { type: 'boolean', description: 'Run the container privileged.' },
          imageRegistry: {
            type: 'object',
            description: 'Private registry credentials.',
            properties: { url: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' } },
          },
          networkOverlay: {
            type: 'object',
            description: 'WireGuard overlay settings (accepted and kept).',
            'x-kubernetes-preserve-unknown-fields': true,
          },
        },
      },
      status: {
        type: 'object',
        description: 'Set by Canopy from the instance it runs.',
        'x-kubernetes-preserve-unknown-fields': true,
      },
    },
    'x-kubernetes-group-version-kind': [{ group: AEROS_GROUP, version: AEROS_VERSION, kind }],
  };
}
