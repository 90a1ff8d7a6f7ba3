import { AEROS_GROUP, AEROS_KIND_INFO, AEROS_VERSION, type AerosKind } from '@canopy/schema';
import type { ComponentObject } from '../components.port';

/**
 * The Kubernetes API objects the `/k8s` surface answers with, as plain builders: discovery
 * (version.Info, APIVersions, APIGroupList, APIResourceList), lists, Tables and core stubs
 * (Namespace, EventList). Shapes follow k8s.io/apimachinery's JSON so kubectl decodes them.
 */

export const GROUP_VERSION = `${AEROS_GROUP}/${AEROS_VERSION}`;
/**
 * The Kubernetes release this surface claims. kubectl warns when it is more than one minor away, and
 * the Cloud SDK's kubectl dispatcher (this machine's `/usr/bin/kubectl`) runs the build matching it.
 */
export const K8S_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-canopy' };

export function versionInfo(): Record<string, string> {
  return {
    major: K8S_VERSION.major,
    minor: K8S_VERSION.minor,
    gitVersion: K8S_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.21.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
  };
}

const NAMESPACED_VERBS = ['delete', 'get', 'list', 'patch', 'create', 'update', 'watch'];

export function coreResourceList(): object {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'namespaces',
        singularName: 'namespace',
        namespaced: false,
        kind: 'Namespace',
        verbs: ['get', 'list'],
        shortNames: ['ns'],
      },
      {
        name: 'events',
        singularName: 'event',
        namespaced: true,
        kind: 'Event',
        verbs: ['get', 'list'],
        shortNames: ['ev'],
      },
    ],
  };
}

function aerosGroup(): object {
  const version = { groupVersion: GROUP_VERSION, version: AEROS_VERSION };
  return { name: AEROS_GROUP, versions: [version], preferredVersion: version };
}

export function apiGroupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [aerosGroup()] };
}

export function apiGroup(): object {
  return { kind: 'APIGroup', apiVersion: 'v1', ...aerosGroup() };
}

export function aerosResourceList(): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: GROUP_VERSION,
    resources: Object.values(AEROS_KIND_INFO).map((info) => ({
      name: info.plural,
      singularName: info.singular,
      namespaced: true,
      kind: info.kind,
      verbs: NAMESPACED_VERBS,
      shortNames: info.shortNames,
      categories: ['aeros', 'all'],
    })),
  };
}

/**
 * A list's resourceVersion: when it was read, in ms. Object versions count per object, so no item's
 * version orders the list against later writes; the time does, and a watch from it replays what
 * changed since (K8sWatchService).
 */
function listVersion(_items: ComponentObject[]): string {
  return String(Date.now());
}

export function componentList(kind: AerosKind, items: ComponentObject[]): object {
  return { apiVersion: GROUP_VERSION, kind: `${kind}List`, metadata: { resourceVersion: listVersion(items) }, items };
}

/** kubectl's `--field-selector` and `-l` (equality terms only), and its own `metadata.name=` lookups. */
export function matchesSelectors(obj: ComponentObject, fieldSelector?: string, labelSelector?: string): boolean {
  for (const term of splitTerms(fieldSelector)) {
    const value =
      term.field === 'metadata.name'
        ? obj.metadata.name
        : term.field === 'metadata.namespace'
          ? obj.metadata.namespace
          : undefined;
    if ((value === term.value) === term.negate) {
      return false;
    }
  }
  for (const term of splitTerms(labelSelector)) {
    const labels = obj.metadata.labels ?? {};
    if (term.value === undefined) {
      if (term.field in labels === term.negate) {
        return false;
      }
    } else if ((labels[term.field] === term.value) === term.negate) {
      return false;
    }
  }
  return true;
}

interface SelectorTerm {
  field: string;
  value: string | undefined;
  negate: boolean;
}

function splitTerms(selector: string | undefined): SelectorTerm[] {
  if (!selector) {
    return [];
  }
  return selector
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((t) => {
      const m = /^(!?)([^!=]+?)\s*(?:(!=|==|=)\s*(.*))?$/.exec(t);
      if (!m) {
        throw new SelectorError(t);
      }
      const [, bang, field, op, value] = m;
      return {
        field: field!.trim(),
        value: op ? (value ?? '').trim() : undefined,
        negate: bang === '!' || op === '!=',
      };
    });
}

export class SelectorError extends Error {
  constructor(readonly term: string) {
    super(`unable to parse requirement: ${term}`);
  }
}

/** Kubernetes' `duration.HumanDuration`, which `kubectl get` shows in the AGE column. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) {
    return '<invalid>';
  }
  if (seconds < 0) {
    return '0s';
  }
  if (seconds < 60 * 2) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  }
  if (minutes < 60 * 3) {
    return `${minutes}m`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  }
  if (hours < 48) {
    return `${hours}h`;
  }
  if (hours < 24 * 8) {
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  }
  if (hours < 24 * 365 * 2) {
    return `${Math.floor(hours / 24)}d`;
  }
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Whether the Accept header asks for a meta.k8s.io Table (what `kubectl get` prints). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim());
    return params.includes('as=Table') && params.includes('g=meta.k8s.io');
  });
}

function selectedIE(spec: Record<string, unknown>): string {
  const ie = spec.selectedIE;
  if (typeof ie === 'string') {
    return ie;
  }
  if (ie && typeof ie === 'object') {
    const { id, hostname } = ie as { id?: unknown; hostname?: unknown };
    if (typeof id === 'string' && id) {
      return id;
    }
    if (typeof hostname === 'string') {
      return hostname;
    }
  }
  return '';
}

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name of the component', priority: 0 },
  { name: 'IE', type: 'string', format: '', description: 'The Infrastructure Element it runs on', priority: 0 },
  { name: 'Image', type: 'string', format: '', description: 'Container image', priority: 0 },
  { name: 'Status', type: 'string', format: '', description: 'aerOS component status', priority: 0 },
  { name: 'Age', type: 'string', format: '', description: 'Time since creation', priority: 0 },
  { name: 'Canopy-Status', type: 'string', format: '', description: "Canopy's instance status", priority: 1 },
  { name: 'Detail', type: 'string', format: '', description: 'Why the instance is in that status', priority: 1 },
];

export function componentTable(items: ComponentObject[], now: number, resourceVersion?: string): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: resourceVersion ?? listVersion(items) },
    columnDefinitions: COLUMNS,
    rows: items.map((o) => ({
      cells: [
        o.metadata.name,
        o.status.infrastructureElement ?? selectedIE(o.spec),
        typeof o.spec.image === 'string' ? o.spec.image : '',
        o.status.serviceComponentStatus,
        humanDuration(now - Date.parse(o.metadata.creationTimestamp)),
        o.status.canopyStatus,
        o.status.detail,
      ],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

/** Namespaces are implicit here: any name exists, and is Active. */
export function namespaceObject(name: string): object {
  return {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function namespaceList(names: string[]): object {
  return {
    kind: 'NamespaceList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '0' },
    items: names.map(namespaceObject),
  };
}

/** Canopy keeps no Kubernetes events; `kubectl describe` asks for them and prints `<none>`. */
export function emptyEventList(): object {
  return { kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '0' }, items: [] };
}
