import type { InstanceSpecDto } from '@canopy/schema';
import type { NodeView } from '../nodes/nodes.service';
import { SchedulingService } from './scheduling.service';

const nodeView: NodeView = {
  id: 'n1',
  name: 'edge',
  arch: 'amd64',
  cpuCores: 2,
  memoryMb: 4096,
  gpus: 0,
  labels: {},
  passwordSha256: 'x',
  registeredAt: 0,
  active: true,
};

function spec(instanceNumber: number, generation = 1): InstanceSpecDto {
  return {
    serviceId: 'svc',
    instanceNumber,
    generation,
    jobName: 'a.b.c.d',
    image: 'img',
    cmd: [],
    environment: [],
    ports: [],
    memoryMb: 100,
    vcpus: 1,
    vgpus: 0,
    oneShot: false,
    privileged: false,
  };
}

describe('SchedulingService', () => {
  it('never over-commits a node during a burst of placements', () => {
    const scheduling = new SchedulingService();
    const decisions = [0, 1, 2].map((n) => scheduling.place(spec(n), [nodeView]));
    expect(decisions.map((d) => d.ok)).toEqual([true, true, false]);
    expect(decisions[2]).toMatchObject({ ok: false, reason: 'no-capacity' });
    expect(scheduling.reserved('n1')).toEqual({ cpuMillis: 2000, memoryMb: 200, gpus: 0 });
  });

  it('frees room when a placement is released, and restores reservations read back from storage', () => {
    const scheduling = new SchedulingService();
    scheduling.restore(spec(0), 'n1');
    scheduling.restore(spec(0), 'n1'); // at-least-once: the same key twice reserves once
    expect(scheduling.place(spec(1), [nodeView]).ok).toBe(true);
    expect(scheduling.place(spec(2), [nodeView]).ok).toBe(false);
    scheduling.release(spec(0));
    expect(scheduling.place(spec(2), [nodeView]).ok).toBe(true);
  });
});
