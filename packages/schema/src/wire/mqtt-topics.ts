/**
 * The MQTT topic tree between a cluster and its nodes (SPEC §2), Oakestra's shape. Every topic
 * lives under `nodes/<nodeId>/`; the broker lets a node touch only its own subtree.
 */
export const NODE_TOPIC_ROOT = 'nodes';

/**
 * How long a node's connection attempt waits for CONNACK. The cluster's broker lets a mass
 * reconnect in at MQTT_CONNECT_RATE and keeps the rest waiting in line for up to 20 s, inside this;
 * a client that gave up sooner would retry into the back of the line on a growing backoff.
 */
export const MQTT_CONNACK_TIMEOUT_MS = 30_000;

export type NodeTopicKind =
  | 'information'
  | 'jobs/resources'
  | 'job'
  | 'logs'
  | 'control/deploy'
  | 'control/delete'
  | 'control/sync'
  | 'control/logs'
  | 'control/pace';

/** Topics a node publishes on. */
export const NODE_TO_CLUSTER: readonly NodeTopicKind[] = ['information', 'jobs/resources', 'job', 'logs'];
/** Topics the cluster publishes on. */
export const CLUSTER_TO_NODE: readonly NodeTopicKind[] = [
  'control/deploy',
  'control/delete',
  'control/sync',
  'control/logs',
  'control/pace',
];

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidNodeId(nodeId: string): boolean {
  return NODE_ID.test(nodeId);
}

export const NodeTopics = {
  information: (nodeId: string) => nodeTopic(nodeId, 'information'),
  jobResources: (nodeId: string) => nodeTopic(nodeId, 'jobs/resources'),
  job: (nodeId: string) => nodeTopic(nodeId, 'job'),
  deploy: (nodeId: string) => nodeTopic(nodeId, 'control/deploy'),
  delete: (nodeId: string) => nodeTopic(nodeId, 'control/delete'),
  sync: (nodeId: string) => nodeTopic(nodeId, 'control/sync'),
  /** cluster → node: send the tail of an instance's log; the node answers on `logs`. */
  logsRequest: (nodeId: string) => nodeTopic(nodeId, 'control/logs'),
  /** cluster → node: report at another interval (load shedding, and its end). */
  pace: (nodeId: string) => nodeTopic(nodeId, 'control/pace'),
  /** node → cluster: the answer to a `control/logs` request, matched by `requestId`. */
  logsReply: (nodeId: string) => nodeTopic(nodeId, 'logs'),
  /** What a node subscribes to. */
  controlWildcard: (nodeId: string) => `${NODE_TOPIC_ROOT}/${checkedNodeId(nodeId)}/control/+`,
  /** What the cluster subscribes to. */
  allNodesWildcard: () => `${NODE_TOPIC_ROOT}/+/#`,
} as const;

/** An id such as `+`, `#` or `a/b` would turn a node's own topic into another node's or a wildcard. */
function checkedNodeId(nodeId: string): string {
  if (!isValidNodeId(nodeId)) {
    throw new RangeError(`invalid node id "${nodeId}"`);
  }
  return nodeId;
}

export function nodeTopic(nodeId: string, kind: NodeTopicKind): string {
  return `${NODE_TOPIC_ROOT}/${checkedNodeId(nodeId)}/${kind}`;
}

export interface ParsedNodeTopic {
  nodeId: string;
  kind: NodeTopicKind;
}

const KINDS: ReadonlySet<string> = new Set<NodeTopicKind>([...NODE_TO_CLUSTER, ...CLUSTER_TO_NODE]);

/** Parses `nodes/<id>/<kind>`; anything else (or an unknown kind) is `undefined`. */
export function parseNodeTopic(topic: string): ParsedNodeTopic | undefined {
  const parts = topic.split('/');
  if (parts.length < 3 || parts[0] !== NODE_TOPIC_ROOT) {
    return undefined;
  }
  const nodeId = parts[1] ?? '';
  const kind = parts.slice(2).join('/');
  if (!isValidNodeId(nodeId) || !KINDS.has(kind)) {
    return undefined;
  }
  return { nodeId, kind: kind as NodeTopicKind };
}
