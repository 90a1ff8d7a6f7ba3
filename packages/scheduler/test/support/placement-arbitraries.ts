import fc from 'fast-check';

import { POLICIES } from '../../src/scheduler';
import type { Candidate, PlacementRequest } from '../../src/types';

/** Random fleets, requests and place/release sequences for the scheduler's property tests. */
export const PLACES = [
  { lat: 48.1, long: 11.6 },
  { lat: 52.5, long: 13.4 },
  { lat: 48.2, long: 16.4 },
];

export const resources = (max: number, maxGpus: number) =>
  fc.record({
    cpuMillis: fc.integer({ min: 0, max }).map((x) => x * 250),
    memoryMb: fc.integer({ min: 0, max }).map((x) => x * 256),
    gpus: fc.integer({ min: 0, max: maxGpus }),
  });

export const candidateArb = (i: number, rootTier: boolean) =>
  fc
    .record({
      active: fc.integer({ min: 0, max: 4 }).map((x) => x > 0), // mostly up
      allocatable: resources(16, 2),
      largest: resources(16, 2),
      arch: fc.constantFrom('amd64', 'arm64', 'x86_64'),
      zone: fc.constantFrom('a', 'b'),
      place: fc.option(fc.constantFrom(...PLACES), { nil: undefined }),
      netRxBps: fc.option(fc.constantFrom(0, 100, 200), { nil: undefined }),
      cpuPercent: fc.option(fc.constantFrom(10, 50), { nil: undefined }),
    })
    .map((g): Candidate => {
      const c: Candidate = {
        id: `c${String(i).padStart(2, '0')}`,
        name: `name-${i}`,
        active: g.active,
        allocatable: g.allocatable,
        architectures: [g.arch],
        labels: { zone: g.zone },
      };
      if (rootTier) {
        c.largestNodeFree = g.largest;
      }
      withDrawnMetrics(c, g);
      return c;
    });

export const fleetArb = fc
  .tuple(fc.integer({ min: 0, max: 12 }), fc.boolean())
  .chain(([n, rootTier]) => fc.tuple(...Array.from({ length: n }, (_, i) => candidateArb(i, rootTier))));

export const requestArb = (maxIndex: number) =>
  fc
    .record({
      requests: resources(6, 2).map((r) => ({ ...r, gpus: r.gpus === 2 ? 1 : 0 })),
      arch: fc.option(fc.constantFrom('amd64', 'arm64', 'aarch64'), { nil: undefined, freq: 4 }),
      zone: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined, freq: 4 }),
      pinned: fc.option(
        fc.array(
          fc
            .integer({ min: 0, max: maxIndex + 1 })
            .chain((i) => fc.constantFrom(`c${String(i).padStart(2, '0')}`, `name-${i}`)),
          { minLength: 1, maxLength: 3 },
        ),
        { nil: undefined, freq: 4 },
      ),
      near: fc.option(fc.record({ at: fc.constantFrom(...PLACES), radiusKm: fc.constantFrom(50, 400, 1000) }), {
        nil: undefined,
        freq: 4,
      }),
    })
    .map((g): PlacementRequest => {
      const r: PlacementRequest = { requests: g.requests };
      withDrawnFilters(r, g);
      if (g.near) {
        r.near = { ...g.near.at, radiusKm: g.near.radiusKm };
      }
      return r;
    });

export const scenarioArb = fleetArb.chain((fleet) =>
  fc.record({
    fleet: fc.constant(fleet),
    asTable: fc.boolean(),
    ops: fc.array(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc.record({
            kind: fc.constant('place' as const),
            request: requestArb(fleet.length),
            policy: fc.constantFrom(...POLICIES),
          }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
      ),
      { minLength: 1, maxLength: 40 },
    ),
  }),
);

/** Copies the drawn location and metrics onto `c`, leaving out what was not drawn (undefined). */
export function withDrawnMetrics(
  c: Candidate,
  g: {
    place?: { lat: number; long: number } | undefined;
    netRxBps?: number | undefined;
    cpuPercent?: number | undefined;
  },
): void {
  if (g.place) {
    c.location = g.place;
  }
  if (g.netRxBps !== undefined) {
    c.netRxBps = g.netRxBps;
  }
  if (g.cpuPercent !== undefined) {
    c.cpuPercent = g.cpuPercent;
  }
}

/** Copies the drawn architecture, zone label and pins onto `r`, leaving out what was not drawn. */
export function withDrawnFilters(
  r: PlacementRequest,
  g: { arch?: string | undefined; zone?: string | undefined; pinned?: string[] | undefined },
): void {
  if (g.arch) {
    r.arch = g.arch;
  }
  if (g.zone) {
    r.labels = { zone: g.zone };
  }
  if (g.pinned) {
    r.pinned = g.pinned;
  }
}
