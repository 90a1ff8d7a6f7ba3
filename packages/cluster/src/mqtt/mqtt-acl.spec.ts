import { boundClientId, mayPublish, mayReceive, maySubscribe, type MqttUser } from './mqtt-acl';

const nodeA: MqttUser = { kind: 'node', nodeId: 'nodeA' };
const cluster: MqttUser = { kind: 'cluster' };

describe('mqtt ACL', () => {
  it.each(['nodes/nodeA/information', 'nodes/nodeA/jobs/resources', 'nodes/nodeA/job', 'nodes/nodeA/logs'])(
    'lets a node publish its own status topic %s',
    (topic) => expect(mayPublish(nodeA, topic)).toBe(true),
  );

  it.each([
    'nodes/nodeB/information',
    'nodes/nodeB/job',
    'nodes/nodeB/logs',
    'nodes/nodeA/control/deploy',
    'nodes/nodeA/control/logs',
    'nodes/nodeA/control/sync',
    'nodes/nodeA/other',
    'nodes/nodeA',
    'other/nodeA/information',
    'nodes/+/information',
    '$SYS/broker',
  ])('refuses a node publishing to %s', (topic) => expect(mayPublish(nodeA, topic)).toBe(false));

  it.each(['nodes/nodeA/control/+', 'nodes/nodeA/control/#', 'nodes/nodeA/control/deploy', 'nodes/nodeA/control/logs'])(
    'lets a node subscribe to its own control filter %s',
    (filter) => expect(maySubscribe(nodeA, filter)).toBe(true),
  );

  it.each([
    'nodes/nodeB/control/+',
    'nodes/nodeB/control/logs',
    'nodes/nodeA/logs',
    'nodes/+/control/+',
    'nodes/#',
    '#',
    'nodes/nodeA/#',
    'nodes/nodeA/+/deploy',
    'nodes/nodeA/information',
    'nodes/nodeA/control',
    '$share/g/nodes/nodeA/control/+',
  ])('refuses a node subscribing to %s', (filter) => expect(maySubscribe(nodeA, filter)).toBe(false));

  it('lets the cluster publish commands to any node and subscribe to all node topics', () => {
    expect(mayPublish(cluster, 'nodes/nodeB/control/deploy')).toBe(true);
    expect(maySubscribe(cluster, 'nodes/+/information')).toBe(true);
    expect(maySubscribe(cluster, 'nodes/+/#')).toBe(true);
  });

  it('keeps the cluster inside the nodes/ tree', () => {
    expect(mayPublish(cluster, 'elsewhere/x')).toBe(false);
    expect(mayPublish(cluster, 'nodes/+/control/deploy')).toBe(false);
    expect(maySubscribe(cluster, '#')).toBe(false);
    expect(maySubscribe(cluster, '$SYS/#')).toBe(false);
  });

  it('delivers to a node only its own control topics, to the cluster only the nodes/ tree', () => {
    expect(mayReceive(nodeA, 'nodes/nodeA/control/deploy')).toBe(true);
    expect(mayReceive(nodeA, 'nodes/nodeB/control/deploy')).toBe(false);
    expect(mayReceive(nodeA, 'nodes/nodeA/information')).toBe(false);
    expect(mayReceive(nodeA, '$SYS/broker/new/clients')).toBe(false);
    expect(mayReceive(cluster, 'nodes/nodeB/information')).toBe(true);
    expect(mayReceive(cluster, '$SYS/broker/new/clients')).toBe(false);
  });

  it("puts client ids in the login's own namespace, so no login can take over another's id", () => {
    const nodeB: MqttUser = { kind: 'node', nodeId: 'nodeB' };
    expect(boundClientId(nodeB, 'canopy-node-nodeA')).not.toBe(boundClientId(nodeA, 'canopy-node-nodeA'));
    expect(boundClientId(nodeA, 'x')).not.toBe(boundClientId(cluster, 'x'));
    expect(boundClientId(nodeB, 'canopy-cluster-c')).not.toBe(boundClientId(cluster, 'canopy-cluster-c'));
  });
});
