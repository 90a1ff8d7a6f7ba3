import type { InstanceSpecDto } from '@canopy/schema';

export { FakeClock } from './fake-clock';

/** The local test image (scripts/build-test-image.sh): static busybox, `httpd` serving `canopy-ok`. */
export const TEST_IMAGE = 'canopy-test/busybox:latest';

/**
 * One instance's spec with neutral defaults (no limits, no ports, the test image, generation 1);
 * a test overrides only what it is about.
 */
export function instanceSpec(serviceId: string, overrides: Partial<InstanceSpecDto> = {}): InstanceSpecDto {
  return {
    serviceId,
    instanceNumber: 0,
    generation: 1,
    jobName: `app.default.${serviceId}.default`,
    image: TEST_IMAGE,
    cmd: [],
    environment: [],
    ports: [],
    memoryMb: 0,
    vcpus: 0,
    vgpus: 0,
    oneShot: false,
    privileged: false,
    ...overrides,
  };
}
export { makeTestPki, type TestPki } from './test-pki';
