import { InstanceStatus } from '@canopy/schema';
import { imageRepository } from '../policy/private-images';
import { planSteps } from './engine.planner';
import { IMAGE, T0, kinds, options, record, spec } from '../../test/support/engine-records';

const AUTH = { username: 'alice', password: 'secret', serveraddress: '127.0.0.1:5000' };
const PRIVATE = new Set([imageRepository(IMAGE)]);

/** The first step of a fresh launch, for one combination of cache, private set and credentials. */
function firstStep(cached: boolean, isPrivate: boolean, withAuth: boolean): string | undefined {
  const planning = options({
    images: cached ? new Set([IMAGE]) : new Set(),
    privateImages: isPrivate ? PRIVATE : new Set(),
  });
  const desired = spec('a', withAuth ? { registryAuth: AUTH } : {});
  return kinds(planSteps([], [desired], T0, new Map(), planning))[0];
}

describe('planSteps: private images and registry credentials', () => {
  // Only a cached image that is not private, asked for without credentials, runs from the cache.
  const table: [cached: boolean, isPrivate: boolean, withAuth: boolean, step: string][] = [
    [true, false, false, 'create'],
    [true, false, true, 'pull'],
    [true, true, false, 'pull'],
    [true, true, true, 'pull'],
    [false, false, false, 'pull'],
    [false, false, true, 'pull'],
    [false, true, false, 'pull'],
    [false, true, true, 'pull'],
  ];
  it.each(table)('cached %s, private %s, with credentials %s → %s', (cached, isPrivate, withAuth, step) => {
    expect(firstStep(cached, isPrivate, withAuth)).toBe(step);
  });

  it('creates from the image once this launch pulled it, credentials or not (no pull loop)', () => {
    const pulled = record({ status: InstanceStatus.CREATING, containerId: undefined, phase: undefined, pulled: true });
    for (const [privateImages, extra] of [
      [PRIVATE, {}],
      [new Set<string>(), { registryAuth: AUTH }],
      [PRIVATE, { registryAuth: AUTH }],
    ] as const) {
      const steps = planSteps([pulled], [spec('a', extra)], T0, new Map(), options({ privateImages }));
      expect(kinds(steps)).toEqual(['create']);
    }
  });

  it('pulls again when the image this launch pulled has gone from the node', () => {
    const pulled = record({ status: InstanceStatus.CREATING, containerId: undefined, phase: undefined, pulled: true });
    const steps = planSteps(
      [pulled],
      [spec('a', { registryAuth: AUTH })],
      T0,
      new Map(),
      options({ images: new Set() }),
    );
    expect(kinds(steps)).toEqual(['pull']);
  });

  it('a launch that has not pulled yet asks the registry for a private image, whatever its record says', () => {
    const waiting = record({ status: InstanceStatus.CREATING, containerId: undefined, phase: undefined });
    const steps = planSteps([waiting], [spec()], T0, new Map(), options({ privateImages: PRIVATE }));
    expect(kinds(steps)).toEqual(['pull']);
  });

  it('every tag and digest of a private repository is private', () => {
    const privateImages = new Set([imageRepository('registry.example.org/team/app:v1')]);
    for (const image of [
      'registry.example.org/team/app',
      'registry.example.org/team/app:v2',
      'registry.example.org/team/app@sha256:ab',
    ]) {
      const planning = options({ images: new Set([image]), privateImages });
      expect(kinds(planSteps([], [spec('a', { image })], T0, new Map(), planning))).toEqual(['pull']);
    }
    const other = 'registry.example.org/team/other:v1';
    const planning = options({ images: new Set([other]), privateImages });
    expect(kinds(planSteps([], [spec('a', { image: other })], T0, new Map(), planning))).toEqual(['create']);
  });

  it('never runs a cached image named by its id (which may be another tenant’s private one)', () => {
    for (const image of ['sha256:0123456789abcdef0123', '0123456789ab']) {
      const planning = options({ images: new Set([image]) });
      expect(kinds(planSteps([], [spec('a', { image })], T0, new Map(), planning))).toEqual(['pull']);
    }
  });

  it('refuses before it pulls: the policy comes first, credentials or not', () => {
    const planning = options({ privateImages: PRIVATE });
    const steps = planSteps([], [spec('a', { registryAuth: AUTH, privileged: true })], T0, new Map(), planning);
    expect(kinds(steps)).toEqual(['refuse']);
  });
});
