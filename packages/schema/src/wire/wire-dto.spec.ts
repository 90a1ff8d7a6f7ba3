import { validateInput } from '../validation/validate';
import { ClusterHandshakeDto, ClusterSyncDto } from './cluster.dto';
import { InstanceSpecDto } from './instance-spec.dto';
import {
  DeleteCommand,
  JobStatusMessage,
  NodeInformation,
  NodeJobsReport,
  NodeRegisterRequest,
  SyncCommand,
} from './node.dto';

function paths<T extends object>(cls: new () => T, input: unknown): string[] {
  const result = validateInput(cls, input);
  return result.ok ? [] : [...new Set(result.errors.map((e) => e.path))];
}

const instanceSpec = () => ({
  serviceId: '65f0c0ffee0000000000abcd',
  instanceNumber: 0,
  generation: 1,
  jobName: 'clientsrvr.test.nginx.test',
  image: 'canopy-test/busybox:latest',
  cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
  environment: ['MODE=demo'],
  ports: [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { containerPort: 53, protocol: 'udp' },
  ],
  memoryMb: 64,
  vcpus: 0.5,
  vgpus: 0,
  oneShot: false,
  privileged: false,
});

const jobStatus = () => ({
  serviceId: '65f0c0ffee0000000000abcd',
  instanceNumber: 0,
  generation: 1,
  status: 'RUNNING',
  status_detail: 'container started',
  nodeId: 'n1',
  containerId: 'f3a9c2',
  publicIp: '192.168.1.20',
  hostPorts: [{ containerPort: 80, hostPort: 32768, protocol: 'tcp' }],
  at: 1_700_000_000_000,
  sname: 'clientsrvr.test.nginx.test',
  instance: 0,
});

const nodeInformation = () => ({
  cpuCores: 2,
  cpuPercent: 12.5,
  memoryTotalMb: 4096,
  memoryFreeMb: 1024,
  diskTotalMb: 50_000,
  diskFreeMb: 20_000,
  netRxBps: 1500.5,
  netTxBps: 0,
  gpus: 0,
  arch: 'amd64',
  at: 1_700_000_000_000,
});

describe('InstanceSpecDto (deploy payload)', () => {
  it('accepts a realistic spec, with and without constraints and policy', () => {
    expect(paths(InstanceSpecDto, instanceSpec())).toEqual([]);
    expect(
      paths(InstanceSpecDto, {
        ...instanceSpec(),
        constraints: [{ type: 'direct', node: 'w1' }],
        placementPolicy: 'best-fit',
      }),
    ).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a missing image', { image: undefined }, ['image']],
    ['an empty job name', { jobName: '' }, ['jobName']],
    ['a negative instance number', { instanceNumber: -1 }, ['instanceNumber']],
    ['a fractional generation', { generation: 1.5 }, ['generation']],
    ['a numeric serviceId', { serviceId: 42 }, ['serviceId']],
    ['a cmd with a number', { cmd: ['sleep', 5] }, ['cmd']],
    ['an env entry without =', { environment: ['HOME'] }, ['environment']],
    ['ports as a string', { ports: '8080:80' }, ['ports']],
    ['a port without protocol', { ports: [{ containerPort: 80 }] }, ['ports[0].protocol']],
    [
      'a host port out of range',
      { ports: [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }] },
      ['ports[0].hostPort'],
    ],
    ['negative memory', { memoryMb: -1 }, ['memoryMb']],
    ['vcpus as a string', { vcpus: '1' }, ['vcpus']],
    ['oneShot as a string', { oneShot: 'false' }, ['oneShot']],
    ['a constraint without type', { constraints: [{ node: 'w1' }] }, ['constraints[0].type']],
  ])('rejects %s', (_label, change, expected) => {
    expect(paths(InstanceSpecDto, { ...instanceSpec(), ...change })).toEqual(expected);
  });

  it('strips fields a newer peer might add', () => {
    const result = validateInput(InstanceSpecDto, { ...instanceSpec(), healthcheck: { cmd: 'true' } });
    expect(result.ok && JSON.parse(JSON.stringify(result.value))).not.toHaveProperty('healthcheck');
  });

  it('checks every instance of a sync command', () => {
    expect(paths(SyncCommand, { instances: [instanceSpec(), instanceSpec()] })).toEqual([]);
    expect(paths(SyncCommand, { instances: [instanceSpec(), { ...instanceSpec(), image: 7 }] })).toEqual([
      'instances[1].image',
    ]);
    expect(paths(SyncCommand, {})).toEqual(['instances']);
  });

  it('accepts a delete command carrying only the key', () => {
    expect(paths(DeleteCommand, { serviceId: 's1', instanceNumber: 3, generation: 2 })).toEqual([]);
    expect(paths(DeleteCommand, { serviceId: '', instanceNumber: 3, generation: 2 })).toEqual(['serviceId']);
  });
});

describe('JobStatusMessage (nodes/<id>/job)', () => {
  it('accepts a RUNNING report with bound ports and a minimal failure report', () => {
    expect(paths(JobStatusMessage, jobStatus())).toEqual([]);
    expect(
      paths(JobStatusMessage, {
        serviceId: 's1',
        instanceNumber: 0,
        generation: 1,
        status: 'FAILED',
        status_detail: 'image not found',
        sname: 'a.b.c.d',
        instance: 0,
      }),
    ).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a status outside the vocabulary', { status: 'running' }, ['status']],
    ['a missing sname', { sname: undefined }, ['sname']],
    ['an instance as a string', { instance: '0' }, ['instance']],
    [
      'a bound port without host port',
      { hostPorts: [{ containerPort: 80, protocol: 'tcp' }] },
      ['hostPorts[0].hostPort'],
    ],
    ['a negative timestamp', { at: -5 }, ['at']],
    ['an oversized detail', { status_detail: 'x'.repeat(2049) }, ['status_detail']],
  ])('rejects %s', (_label, change, expected) => {
    expect(paths(JobStatusMessage, { ...jobStatus(), ...change })).toEqual(expected);
  });

  it('validates each instance of a full jobs report', () => {
    const usage = { ...jobStatus(), cpuPercent: 3.2, memoryMb: 12.5 };
    expect(paths(NodeJobsReport, { instances: [usage], at: 1 })).toEqual([]);
    expect(paths(NodeJobsReport, { instances: [{ ...usage, cpuPercent: -1 }], at: 1 })).toEqual([
      'instances[0].cpuPercent',
    ]);
  });
});

describe('NodeInformation (nodes/<id>/information)', () => {
  it('accepts a full and a minimal heartbeat', () => {
    expect(paths(NodeInformation, nodeInformation())).toEqual([]);
    expect(
      paths(NodeInformation, { cpuCores: 1, cpuPercent: 0, memoryTotalMb: 512, memoryFreeMb: 0, arch: 'arm64', at: 0 }),
    ).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['zero cores', { cpuCores: 0 }, ['cpuCores']],
    ['cpu above 100 percent', { cpuPercent: 100.1 }, ['cpuPercent']],
    ['cpu as a string', { cpuPercent: '12' }, ['cpuPercent']],
    ['negative free memory', { memoryFreeMb: -1 }, ['memoryFreeMb']],
    ['fractional total memory', { memoryTotalMb: 4096.5 }, ['memoryTotalMb']],
    ['an empty arch', { arch: '' }, ['arch']],
    ['a missing timestamp', { at: undefined }, ['at']],
  ])('rejects %s', (_label, change, expected) => {
    expect(paths(NodeInformation, { ...nodeInformation(), ...change })).toEqual(expected);
  });

  it.each([null, 'hello', 42, [nodeInformation()]])('rejects the non-object payload %p at $', (payload) => {
    expect(paths(NodeInformation, payload)).toEqual(['$']);
  });
});

describe('node registration and cluster events', () => {
  it('validates a node registration', () => {
    const body = { name: 'worker-1', arch: 'amd64', cpuCores: 2, memoryMb: 4096, location: '48.13,11.58' };
    expect(paths(NodeRegisterRequest, body)).toEqual([]);
    expect(paths(NodeRegisterRequest, { ...body, name: '../etc' })).toEqual(['name']);
    expect(paths(NodeRegisterRequest, { ...body, location: 'Munich' })).toEqual(['location']);
  });

  it('validates a cluster handshake', () => {
    expect(paths(ClusterHandshakeDto, { token: 't', name: 'cluster-1' })).toEqual([]);
    expect(paths(ClusterHandshakeDto, { token: '', name: 'cluster 1' })).toEqual(['token', 'name']);
  });

  it('requires the resources of a cluster sync, including the largest free node', () => {
    const resources = {
      nodes: 1,
      activeNodes: 1,
      cpuMillisTotal: 2000,
      cpuMillisFree: 1500,
      memoryMbTotal: 4096,
      memoryMbFree: 2048,
      gpusFree: 0,
      largestNodeFree: { cpuMillis: 1500, memoryMb: 2048, gpus: 0 },
      architectures: ['amd64'],
    };
    expect(paths(ClusterSyncDto, { resources, instances: [] })).toEqual([]);
    expect(paths(ClusterSyncDto, { instances: [] })).toEqual(['resources']);
    const { largestNodeFree: _l, ...withoutLargest } = resources;
    expect(paths(ClusterSyncDto, { resources: withoutLargest, instances: [] })).toEqual(['resources.largestNodeFree']);
  });
});
