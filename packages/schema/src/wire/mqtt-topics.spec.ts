import fc from 'fast-check';
import {
  CLUSTER_TO_NODE,
  NODE_TO_CLUSTER,
  NodeTopics,
  isValidNodeId,
  nodeTopic,
  parseNodeTopic,
  type NodeTopicKind,
} from './mqtt-topics';

const KINDS: NodeTopicKind[] = [...NODE_TO_CLUSTER, ...CLUSTER_TO_NODE];

describe('MQTT topic builders', () => {
  it("builds Oakestra's topic tree under nodes/<id>/", () => {
    expect(NodeTopics.information('n1')).toBe('nodes/n1/information');
    expect(NodeTopics.jobResources('n1')).toBe('nodes/n1/jobs/resources');
    expect(NodeTopics.job('n1')).toBe('nodes/n1/job');
    expect(NodeTopics.deploy('n1')).toBe('nodes/n1/control/deploy');
    expect(NodeTopics.delete('n1')).toBe('nodes/n1/control/delete');
    expect(NodeTopics.sync('n1')).toBe('nodes/n1/control/sync');
    expect(NodeTopics.controlWildcard('n1')).toBe('nodes/n1/control/+');
    expect(NodeTopics.allNodesWildcard()).toBe('nodes/+/#');
  });

  it('splits the directions without overlap', () => {
    expect(NODE_TO_CLUSTER.filter((k) => CLUSTER_TO_NODE.includes(k))).toEqual([]);
    for (const k of CLUSTER_TO_NODE) {
      expect(k.startsWith('control/')).toBe(true);
    }
  });

  it.each(['', '+', '#', 'a/b', 'node 1', 'nöde', 'a'.repeat(65), 'n1/../n2'])(
    'refuses to build a topic for the node id %p',
    (id) => {
      expect(isValidNodeId(id)).toBe(false);
      expect(() => nodeTopic(id, 'job')).toThrow(RangeError);
      expect(() => NodeTopics.deploy(id)).toThrow(RangeError);
      expect(() => NodeTopics.controlWildcard(id)).toThrow(RangeError);
    },
  );

  it('accepts ids of letters, digits, dash and underscore up to 64 characters', () => {
    for (const id of ['n', 'node-1', 'node_1', '65f0c0ffee0000000000abcd', 'a'.repeat(64)]) {
      expect(isValidNodeId(id)).toBe(true);
    }
  });
});

describe('parseNodeTopic', () => {
  it('round-trips every kind for any valid node id', () => {
    const nodeId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    fc.assert(
      fc.property(nodeId, fc.constantFrom(...KINDS), (id, kind) => {
        expect(parseNodeTopic(nodeTopic(id, kind))).toEqual({ nodeId: id, kind });
      }),
    );
  });

  it.each([
    'nodes',
    'nodes/n1',
    'nodes/n1/',
    'nodes//job',
    'nodes/+/job',
    'nodes/n1/control/+',
    'nodes/n1/control',
    'nodes/n1/job/extra',
    'nodes/n1/jobs',
    'nodes/n1/JOB',
    'Nodes/n1/job',
    '/nodes/n1/job',
    'clusters/c1/information',
    '$SYS/broker/clients/connected',
    'cluster/n1/job',
    '',
  ])('rejects the foreign or malformed topic %p', (topic) => {
    expect(parseNodeTopic(topic)).toBeUndefined();
  });

  it('never throws, whatever the topic', () => {
    fc.assert(
      fc.property(fc.string(), (topic) => {
        const parsed = parseNodeTopic(topic);
        if (parsed !== undefined) {
          expect(nodeTopic(parsed.nodeId, parsed.kind)).toBe(topic);
        }
      }),
    );
  });
});
