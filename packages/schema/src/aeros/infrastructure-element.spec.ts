import { validateInput } from '../validation/validate';
import { NodeRegisterRequest } from '../wire/node.dto';
import { ClusterResourcesDto } from '../wire/cluster.dto';
import {
  IE_STATUS_READY,
  IE_STATUS_UNAVAILABLE,
  InfrastructureElementDto,
  MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER,
  buildInfrastructureElement,
  cpuArchitectureUrn,
  type IeNodeFacts,
} from './infrastructure-element';

const node = (over: Partial<IeNodeFacts> = {}): IeNodeFacts => ({
  id: 'n-1',
  name: 'worker1',
  arch: 'amd64',
  cpuCores: 4,
  memoryMb: 8192,
  labels: {},
  ...over,
});
const beat = { cpuCores: 4, cpuPercent: 37.6, memoryTotalMb: 8000, memoryFreeMb: 2000 };

describe('cpuArchitectureUrn', () => {
  it.each([
    ['amd64', 'x64'],
    ['x86_64', 'x64'],
    ['x64', 'x64'],
    ['AMD64', 'x64'],
    ['arm64', 'arm64'],
    ['aarch64', 'arm64'],
    ['arm', 'arm32'],
    ['armv7l', 'arm32'],
    ['armhf', 'arm32'],
    ['riscv64', 'riscv64'],
    ['s390x', 's390x'],
    ['weird arch/1', 'weird_arch_1'],
  ])('%s → urn:ngsi-ld:CpuArchitecture:%s', (arch, urn) => {
    expect(cpuArchitectureUrn(arch)).toBe(`urn:ngsi-ld:CpuArchitecture:${urn}`);
  });
});

describe('buildInfrastructureElement', () => {
  it('names a node by domain and name, with aerOS units and enums, Ready while live', () => {
    const ie = buildInfrastructureElement(
      node({ publicIp: '10.0.0.7', location: '48.14,11.58' }),
      { active: true, info: beat },
      { domain: 'edge' },
    );
    expect(ie).toEqual({
      id: 'urn:ngsi-ld:InfrastructureElement:edge:worker1',
      type: 'InfrastructureElement',
      hostname: 'worker1',
      nodeId: 'n-1',
      domain: 'urn:ngsi-ld:Domain:edge',
      containerTechnology: 'Docker',
      cpuCores: 4,
      currentCpuUsage: 38,
      ramCapacity: 8000,
      availableRam: 2000,
      currentRamUsage: 6000,
      currentRamUsagePct: 75,
      cpuArchitecture: 'urn:ngsi-ld:CpuArchitecture:x64',
      operatingSystem: 'urn:ngsi-ld:OperatingSystem:Linux',
      realTimeCapable: false,
      infrastructureElementStatus: IE_STATUS_READY,
      location: { type: 'Point', coordinates: [11.58, 48.14] },
      internalIpAddress: '10.0.0.7',
    });
  });

  it('keeps a configured id, and reads real-time capability from the realtime=true label', () => {
    const ie = buildInfrastructureElement(
      node({ ieId: 'urn:ngsi-ld:InfrastructureElement:CloudFerro:2473d6a5a43b', labels: { realtime: 'true' } }),
      { active: true, info: beat },
      { domain: 'edge' },
    );
    expect(ie.id).toBe('urn:ngsi-ld:InfrastructureElement:CloudFerro:2473d6a5a43b');
    expect(ie.realTimeCapable).toBe(true);
    expect(
      buildInfrastructureElement(node({ labels: { realtime: 'false' } }), { active: true }, { domain: 'd' })
        .realTimeCapable,
    ).toBe(false);
  });

  it('is Unavailable when the node is silent, keeping the last usage it reported', () => {
    const ie = buildInfrastructureElement(node(), { active: false, info: beat }, { domain: 'edge' });
    expect(ie.infrastructureElementStatus).toBe(IE_STATUS_UNAVAILABLE);
    expect(ie.availableRam).toBe(2000);
  });

  it('before any heartbeat, stands in the registered capacity with nothing used', () => {
    const ie = buildInfrastructureElement(node(), { active: false }, { domain: 'edge' });
    expect(ie).toMatchObject({
      cpuCores: 4,
      currentCpuUsage: 0,
      ramCapacity: 8192,
      availableRam: 8192,
      currentRamUsage: 0,
      currentRamUsagePct: 0,
      infrastructureElementStatus: IE_STATUS_UNAVAILABLE,
    });
  });

  it('clamps usage into whole percents and free RAM into the capacity', () => {
    const ie = buildInfrastructureElement(
      node(),
      { active: true, info: { cpuCores: 2, cpuPercent: 100.4, memoryTotalMb: 1000, memoryFreeMb: 5000 } },
      { domain: 'd' },
    );
    expect(ie).toMatchObject({ cpuCores: 2, currentCpuUsage: 100, availableRam: 1000, currentRamUsagePct: 0 });
    expect(
      buildInfrastructureElement(node(), { active: true, info: { ...beat, cpuPercent: Number.NaN } }, { domain: 'd' })
        .currentCpuUsage,
    ).toBe(0);
  });

  it("uses the cluster's location when the node has none, and omits location and address when unknown", () => {
    const fallback = buildInfrastructureElement(
      node(),
      { active: true },
      { domain: 'd', fallbackLocation: '-33.9,18.4' },
    );
    expect(fallback.location).toEqual({ type: 'Point', coordinates: [18.4, -33.9] });
    const named = buildInfrastructureElement(node(), { active: true }, { domain: 'd', fallbackLocation: 'Munich' });
    expect(named).not.toHaveProperty('location');
    expect(named).not.toHaveProperty('internalIpAddress');
  });

  it('builds what the root accepts, for every architecture and with a configured id', () => {
    for (const arch of ['amd64', 'arm64', 'armv7l', 'riscv64', 'odd arch!']) {
      for (const ieId of [undefined, 'urn:ngsi-ld:IE:x:y', 'urn:aeros:ie/1']) {
        const ie = buildInfrastructureElement(
          node({ arch, ieId, location: '1,2', publicIp: '10.1.1.1' }),
          { active: true, info: beat },
          { domain: 'dom.a-1' },
        );
        const checked = validateInput(InfrastructureElementDto, ie);
        expect({ arch, ieId, ok: checked.ok, errors: checked.ok ? [] : checked.errors }).toEqual({
          arch,
          ieId,
          ok: true,
          errors: [],
        });
        expect(checked.ok && checked.value).toEqual(ie);
      }
    }
  });
});

describe('InfrastructureElementDto on the wire', () => {
  const valid = buildInfrastructureElement(
    node({ location: '48,11' }),
    { active: true, info: beat },
    { domain: 'edge' },
  );
  const paths = (input: unknown): string[] => {
    const r = validateInput(InfrastructureElementDto, input);
    return r.ok ? [] : r.errors.map((e) => e.path);
  };

  it.each([
    ['id', { id: 'worker1' }],
    ['id', { id: `urn:x:${'a'.repeat(300)}` }],
    ['hostname', { hostname: '../x' }],
    ['nodeId', { nodeId: 'a/b' }],
    ['domain', { domain: 'edge' }],
    ['containerTechnology', { containerTechnology: 'Kubernetes' }],
    ['cpuCores', { cpuCores: 0 }],
    ['currentCpuUsage', { currentCpuUsage: 101 }],
    ['currentCpuUsage', { currentCpuUsage: 3.5 }],
    ['availableRam', { availableRam: -1 }],
    ['currentRamUsagePct', { currentRamUsagePct: 150 }],
    ['cpuArchitecture', { cpuArchitecture: 'amd64' }],
    ['operatingSystem', { operatingSystem: 'Windows' }],
    ['realTimeCapable', { realTimeCapable: 'yes' }],
    ['infrastructureElementStatus', { infrastructureElementStatus: 'Ready' }],
    ['location.coordinates', { location: { type: 'Point', coordinates: [200, 1] } }],
    ['location.coordinates', { location: { type: 'Point', coordinates: [1] } }],
    ['location', { location: 'here' }],
  ])('names %s when it is wrong', (path, change) => {
    expect(paths({ ...valid, ...change })).toContain(path);
  });

  it('accepts another aerOS status and a missing location', () => {
    const { location: _location, ...rest } = valid;
    expect(paths({ ...rest, infrastructureElementStatus: 'urn:ngsi-ld:InfrastructureElementStatus:Booting' })).toEqual(
      [],
    );
  });
});

describe('wire fields for IEs', () => {
  const resources = {
    nodes: 1,
    activeNodes: 1,
    cpuMillisTotal: 1000,
    cpuMillisFree: 1000,
    memoryMbTotal: 1024,
    memoryMbFree: 1024,
    gpusFree: 0,
    largestNodeFree: { cpuMillis: 1000, memoryMb: 1024, gpus: 0 },
    architectures: ['amd64'],
  };
  const ie = buildInfrastructureElement(node(), { active: true, info: beat }, { domain: 'edge' });

  it('keeps resources without IEs valid (older clusters), and validates each IE by path', () => {
    expect(validateInput(ClusterResourcesDto, resources).ok).toBe(true);
    const ok = validateInput(ClusterResourcesDto, { ...resources, infrastructureElements: [ie] });
    expect(ok.ok && ok.value.infrastructureElements).toEqual([ie]);
    const bad = validateInput(ClusterResourcesDto, {
      ...resources,
      infrastructureElements: [ie, { ...ie, cpuCores: 'four' }],
    });
    expect(bad.ok ? [] : bad.errors.map((e) => e.path)).toEqual(['infrastructureElements[1].cpuCores']);
  });

  it('caps the number of IEs one cluster may report', () => {
    const many = Array.from({ length: MAX_INFRASTRUCTURE_ELEMENTS_PER_CLUSTER + 1 }, () => ie);
    const r = validateInput(ClusterResourcesDto, { ...resources, infrastructureElements: many });
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['infrastructureElements']);
  });

  it('takes an optional URN ieId at registration and names it when it is not one', () => {
    const reg = { name: 'w1', arch: 'amd64', cpuCores: 2, memoryMb: 1024 };
    expect(validateInput(NodeRegisterRequest, reg).ok).toBe(true);
    const withId = validateInput(NodeRegisterRequest, { ...reg, ieId: 'urn:ngsi-ld:InfrastructureElement:d:w1' });
    expect(withId.ok && withId.value.ieId).toBe('urn:ngsi-ld:InfrastructureElement:d:w1');
    for (const ieId of ['worker1', 'urn:ngsi-ld:has space', `urn:x:${'y'.repeat(260)}`, 42]) {
      const r = validateInput(NodeRegisterRequest, { ...reg, ieId });
      expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['ieId']);
    }
  });
});
