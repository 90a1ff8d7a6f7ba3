import { NODE_TOPIC_ROOT, NODE_TO_CLUSTER, isValidNodeId } from '@canopy/schema';

/** Who is logged in to the in-process broker. */
export type MqttUser = { kind: 'cluster' } | { kind: 'node'; nodeId: string };

const NODE_PUBLISH_KINDS: ReadonlySet<string> = new Set(NODE_TO_CLUSTER);

function hasWildcard(level: string): boolean {
  return level.includes('+') || level.includes('#');
}

/**
 * A node may publish only its own status topics (`nodes/<ownId>/information|jobs/resources|job`);
 * the cluster anywhere under `nodes/`. Publish topics never carry wildcards.
 */
export function mayPublish(user: MqttUser, topic: string): boolean {
  const levels = topic.split('/');
  if (levels.some(hasWildcard) || levels[0] !== NODE_TOPIC_ROOT) return false;
  if (user.kind === 'cluster') return levels.length >= 3 && isValidNodeId(levels[1] ?? '');
  return levels[1] === user.nodeId && NODE_PUBLISH_KINDS.has(levels.slice(2).join('/'));
}

/**
 * A node may subscribe only below its own `nodes/<ownId>/control/`; wildcards are fine after that
 * point but never before it (`nodes/+/control/#` would read every node's commands). The cluster may
 * subscribe to anything under `nodes/`. Shared subscriptions (`$share/...`) and `#` are refused.
 */
export function maySubscribe(user: MqttUser, filter: string): boolean {
  const levels = filter.split('/');
  if (levels[0] !== NODE_TOPIC_ROOT) return false;
  if (user.kind === 'cluster') return levels.length >= 2;
  return levels.length >= 4 && levels[1] === user.nodeId && levels[2] === 'control' && (levels[3] ?? '') !== '';
}

/**
 * What the broker may deliver to a client, checked again at delivery: a subscription granted
 * earlier does not widen what a node reads (a node receives only its own `nodes/<ownId>/control/…`,
 * the cluster only what is under `nodes/`).
 */
export function mayReceive(user: MqttUser, topic: string): boolean {
  const levels = topic.split('/');
  if (levels[0] !== NODE_TOPIC_ROOT) return false;
  if (user.kind === 'cluster') return levels.length >= 3;
  return levels.length >= 4 && levels[1] === user.nodeId && levels[2] === 'control';
}

/**
 * The client id a login gets at the broker. MQTT lets a new connection with an existing client id
 * take over that session (the old one is closed), so ids are put in the login's own namespace: a
 * node can only ever displace its own earlier connection. Node ids have no `/` and never start
 * with `$`, so the namespaces cannot overlap.
 */
export function boundClientId(user: MqttUser, requested: string): string {
  return user.kind === 'cluster' ? `$cluster/${requested}` : `${user.nodeId}/${requested}`;
}
