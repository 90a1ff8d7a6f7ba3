import { CanopyLabels, type InstanceSpecDto } from '@canopy/schema';
import { containerName, instanceFromLabels, toCreateSpec } from './container-spec';
import { instanceSpec } from '@canopy/testing';

const spec: InstanceSpecDto = instanceSpec('65f0c0ffee', {
  instanceNumber: 2,
  generation: 7,
  jobName: 'shop.default.web.default',
  environment: ['A=1'],
  ports: [{ containerPort: 80, protocol: 'tcp' }],
  memoryMb: 64,
  vcpus: 0.5,
});

describe('container spec', () => {
  it('names containers after node and key, in characters Docker accepts', () => {
    expect(containerName('node-1', spec)).toBe('canopy-node-1-65f0c0ffee-2-7');
    expect(containerName('n1', { serviceId: 'svc/with:odd chars', instanceNumber: 0, generation: 1 })).toBe(
      'canopy-n1-svc-with-odd-chars-0-1',
    );
  });

  it('turns MB into bytes and vCPUs into nano-CPUs, with 0 meaning no limit', () => {
    const created = toCreateSpec('node-1', spec);
    expect(created.memoryBytes).toBe(64 * 1024 * 1024);
    expect(created.nanoCpus).toBe(500_000_000);
    const unlimited = toCreateSpec('node-1', { ...spec, memoryMb: 0, vcpus: 0 });
    expect(unlimited.memoryBytes).toBe(0);
    expect(unlimited.nanoCpus).toBe(0);
  });

  it('labels the container so the key can be rebuilt from Docker alone', () => {
    const { labels } = toCreateSpec('node-1', spec);
    expect(labels[CanopyLabels.managed]).toBe('true');
    expect(labels[CanopyLabels.nodeId]).toBe('node-1');
    expect(instanceFromLabels(labels)).toEqual({
      serviceId: spec.serviceId,
      instanceNumber: 2,
      generation: 7,
      jobName: spec.jobName,
      oneShot: false,
    });
  });

  it('does not read a key out of foreign or damaged labels', () => {
    expect(instanceFromLabels({})).toBeUndefined();
    expect(
      instanceFromLabels({
        [CanopyLabels.serviceId]: 's',
        [CanopyLabels.instance]: 'x',
        [CanopyLabels.generation]: '1',
      }),
    ).toBeUndefined();
    expect(
      instanceFromLabels({
        [CanopyLabels.serviceId]: 's',
        [CanopyLabels.instance]: '1',
        [CanopyLabels.generation]: '-1',
      }),
    ).toBeUndefined();
  });
});
