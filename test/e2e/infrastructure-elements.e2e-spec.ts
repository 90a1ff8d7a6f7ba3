import * as os from 'node:os';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '@canopy/testing';

const READY = 'urn:ngsi-ld:InfrastructureElementStatus:Ready';
/** aerOS's architecture URN for this machine, spelled out rather than computed by the code under test. */
const ARCH: Record<string, string> = { x64: 'x64', arm64: 'arm64', arm: 'arm32' };

/**
 * Every node is an aerOS Infrastructure Element visible at the root (SPEC §5): root, cluster and
 * two node engines as separate processes; the IEs come from real registrations and heartbeats.
 */
describe('nodes as aerOS Infrastructure Elements at the root', () => {
  jest.setTimeout(120_000);
  let stack: Stack;
  const plain = `ie-plain-${process.pid}`;
  const configured = `ie-conf-${process.pid}`;
  const configuredId = `urn:ngsi-ld:InfrastructureElement:CloudFerro:${process.pid}abc`;

  beforeAll(async () => {
    stack = await startStack('ie', {
      // A short liveness window so a stopped node shows within seconds.
      clusterEnv: { CLUSTER_DOMAIN: 'e2e-domain', NODE_LIVENESS_MS: '2000', RESOURCES_INTERVAL_MS: '500' },
      nodes: [
        {
          name: plain,
          env: { NODE_LABELS: 'realtime=true', NODE_LOCATION: '48.14,11.58', NODE_PUBLIC_IP: '127.0.0.1' },
        },
        { name: configured, env: { NODE_IE_ID: configuredId } },
      ],
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const list = async (): Promise<any[]> => {
    const res = await stack.api.request('GET', '/api/infrastructure-elements');
    expect(res.status).toBe(200);
    return res.body as any[];
  };

  it('lists both nodes with their attributes, Ready', async () => {
    const ies = await waitFor('two Ready IEs', async () => {
      const all = await list();
      return all.length === 2 && all.every((ie) => ie.infrastructureElementStatus === READY) ? all : undefined;
    });
    const byHost = new Map(ies.map((ie) => [ie.hostname, ie]));
    const clusterName = stack.clusterName;
    const common = {
      type: 'InfrastructureElement',
      domain: 'urn:ngsi-ld:Domain:e2e-domain',
      containerTechnology: 'Docker',
      cpuCores: os.cpus().length,
      ramCapacity: Math.floor(os.totalmem() / (1024 * 1024)),
      cpuArchitecture: `urn:ngsi-ld:CpuArchitecture:${ARCH[os.arch()] ?? os.arch()}`,
      operatingSystem: 'urn:ngsi-ld:OperatingSystem:Linux',
      infrastructureElementStatus: READY,
      clusterName,
      clusterId: expect.any(String),
      nodeId: expect.any(String),
    };
    expect(byHost.get(plain)).toEqual(
      expect.objectContaining({
        ...common,
        id: `urn:ngsi-ld:InfrastructureElement:e2e-domain:${plain}`,
        realTimeCapable: true,
        location: { type: 'Point', coordinates: [11.58, 48.14] },
        internalIpAddress: '127.0.0.1',
      }),
    );
    expect(byHost.get(configured)).toEqual(
      expect.objectContaining({ ...common, id: configuredId, realTimeCapable: false }),
    );
    for (const ie of ies) {
      expect(ie.currentCpuUsage).toEqual(Math.round(ie.currentCpuUsage));
      expect(ie.currentCpuUsage).toBeGreaterThanOrEqual(0);
      expect(ie.currentCpuUsage).toBeLessThanOrEqual(100);
      expect(ie.availableRam + ie.currentRamUsage).toBe(ie.ramCapacity);
    }

    // The same IE by id, also under aerOS's short `IE` spelling.
    const short = configuredId.replace('urn:ngsi-ld:InfrastructureElement:', 'urn:ngsi-ld:IE:');
    const one = await stack.api.request('GET', `/api/infrastructure-elements/${short}`);
    expect(one.status).toBe(200);
    expect(one.body.hostname).toBe(configured);
    const unknown = await stack.api.request('GET', '/api/infrastructure-elements/urn:ngsi-ld:IE:none');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('urn:ngsi-ld:IE:none');
  });

  it("turns a node's IE not Ready when the node stops, and leaves the other Ready", async () => {
    const engine = stack.nodeProcesses[1]!;
    engine.child.kill('SIGKILL');
    await engine.exited;
    const ies = await waitFor('the stopped node to leave Ready', async () => {
      const all = await list();
      const stopped = all.find((ie) => ie.hostname === configured);
      return stopped !== undefined && stopped.infrastructureElementStatus !== READY ? all : undefined;
    });
    const byHost = new Map(ies.map((ie) => [ie.hostname, ie]));
    expect(byHost.get(configured).infrastructureElementStatus).toBe(
      'urn:ngsi-ld:InfrastructureElementStatus:Unavailable',
    );
    expect(byHost.get(plain).infrastructureElementStatus).toBe(READY);
  });
});
