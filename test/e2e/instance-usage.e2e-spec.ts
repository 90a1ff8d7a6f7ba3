import { execFileSync } from 'node:child_process';
import { RootApi, slaWith } from '../support/api';
import { waitFor } from '@canopy/testing';
import { startStack, type Stack } from '../support/stack';

interface Point {
  value: number;
  timestamp: string;
}

/**
 * Per-instance CPU and memory (issue 11, item 9), end to end: the node engine measures its real
 * container, the cluster forwards the figures with its heartbeat, the root keeps the latest and a
 * bounded history, and the service and instance views carry them as Oakestra's dashboard reads them.
 */
describe('per-instance usage at the root (separate processes, real container)', () => {
  jest.setTimeout(180_000);

  let stack: Stack;
  let api: RootApi;

  beforeAll(async () => {
    stack = await startStack('usage');
    api = stack.api;
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('shows the container real memory and CPU, with a growing history', async () => {
    const created = await api.request(
      'POST',
      '/api/application',
      slaWith([
        {
          microserviceID: '',
          microservice_name: 'busy',
          microservice_namespace: 'test',
          virtualization: 'container',
          code: 'canopy-test/busybox:latest',
          // Holds ~24 MB in a shell variable and spins a little every 200 ms: known, modest usage.
          cmd: [
            'sh',
            '-c',
            'x=$(head -c 24000000 /dev/zero | tr "\\0" a); while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 0.2; done',
          ],
          memory: 128,
          vcpus: 1,
        },
      ]),
    );
    expect(created.status).toBe(201);
    const serviceId: string = created.body.applications[0].microservices[0];
    const deployed = await api.request('POST', `/api/service/${serviceId}/instance`);
    expect(deployed.status).toBe(200);
    // Before any sample: nulls and empty histories, never invented numbers.
    expect(deployed.body).toMatchObject({ cpu: null, memory: null, cpu_history: [], memory_history: [] });
    const n: number = deployed.body.instance_number;

    const sampled = await waitFor(
      'three usage samples at the root with the variable held',
      async () => {
        const svc = await api.request('GET', `/api/service/${serviceId}`);
        const inst = svc.body.instance_list.find((i: { instance_number: number }) => i.instance_number === n);
        if (inst && ['FAILED', 'DEAD'].includes(inst.status)) {
          throw new Error(`instance ended ${inst.status}: ${inst.status_detail}`);
        }
        return inst?.status === 'RUNNING' && inst.memory_history.length >= 3 && inst.memory > 20 ? inst : undefined;
      },
      60_000,
    );

    // The latest figures are numbers from the real container: memory in MB, CPU in percent of a core.
    expect(sampled.memory).toBeGreaterThan(20);
    expect(sampled.memory).toBeLessThan(128);
    expect(typeof sampled.cpu).toBe('number');
    // Docker's own view of the same container agrees on memory within a few MB.
    const dockerMem = dockerMemoryMb(sampled.container_id);
    expect(Math.abs(dockerMem - sampled.memory)).toBeLessThan(8);

    // The histories: oldest first, ISO timestamps, memory in bytes as the dashboard charts it.
    const mem: Point[] = sampled.memory_history;
    const cpu: Point[] = sampled.cpu_history;
    expect(mem.at(-1)?.value).toBe(Math.round(sampled.memory * 1024 * 1024));
    expect(cpu.at(-1)?.value).toBe(sampled.cpu);
    const times = mem.map((p) => Date.parse(p.timestamp));
    expect(times.every((t) => Number.isFinite(t))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(cpu.every((p) => typeof p.value === 'number' && p.value >= 0)).toBe(true);
    // The loop spins: some sample shows CPU above zero.
    await waitFor(
      'a CPU sample above zero',
      async () => {
        const svc = await api.request('GET', `/api/service/${serviceId}`);
        const inst = svc.body.instance_list.find((i: { instance_number: number }) => i.instance_number === n);
        return inst.cpu_history.some((p: Point) => p.value > 0) ? true : undefined;
      },
      30_000,
    );

    // The same fields in the service list of the application (the dashboard's service page).
    const list = await api.request('GET', `/api/services/${created.body.applications[0].applicationID}`);
    expect(list.body[0].instance_list[0].memory).toBeGreaterThan(20);

    const undeployed = await api.request('DELETE', `/api/service/${serviceId}/instance/${n}`);
    expect(undeployed.status).toBe(200);
  });
});

function dockerMemoryMb(containerId: string): number {
  const out = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', containerId], {
    encoding: 'utf8',
  });
  // e.g. "23.6MiB / 128MiB"
  const match = /^([\d.]+)\s*(KiB|MiB|GiB|B)/.exec(out.trim());
  if (!match?.[1] || !match[2]) {
    throw new Error(`unexpected docker stats output: ${out}`);
  }
  const factor = { B: 1 / (1024 * 1024), KiB: 1 / 1024, MiB: 1, GiB: 1024 }[match[2]] ?? 1;
  return Number(match[1]) * factor;
}
