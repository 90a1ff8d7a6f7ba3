import { CandidateTable } from '../../src/candidate-table';
import { ReservationLedger } from '../../src/reservation-ledger';
import { schedule } from '../../src/scheduler';
import type { Candidate, Decision, PlacementRequest, Policy, Resources, ScheduleOptions } from '../../src/types';

/** The fleets, requests and call paths the scheduler's unit tests share (scheduler*.spec.ts). */
export const MUNICH = { lat: 48.137, long: 11.575 };
export const BERLIN = { lat: 52.52, long: 13.405 };

export function node(id: string, over: Partial<Candidate> = {}): Candidate {
  return {
    id,
    name: id,
    active: true,
    allocatable: { cpuMillis: 4000, memoryMb: 8192, gpus: 0 },
    architectures: ['amd64'],
    labels: {},
    ...over,
  };
}

export function req(
  cpuMillis: number,
  memoryMb: number,
  more: Partial<PlacementRequest> = {},
  gpus = 0,
): PlacementRequest {
  return { requests: { cpuMillis, memoryMb, gpus }, ...more };
}

export function fixedReservations(map: Record<string, Resources>): (id: string) => Resources {
  return (id) => map[id] ?? { cpuMillis: 0, memoryMb: 0, gpus: 0 };
}

export type Run = (
  candidates: Candidate[],
  reserved: Record<string, Resources>,
  request: PlacementRequest,
  policy: Policy,
  options?: ScheduleOptions,
) => Decision;

// Every case runs through each way a caller can ask: `schedule` on an array or on a table, and
// `ReservationLedger.place` on either (which uses its positional index).
const viaLedger =
  (asTable: boolean): Run =>
  (candidates, reserved, request, policy, options) => {
    const ledger = new ReservationLedger();
    for (const [id, r] of Object.entries(reserved)) {
      ledger.reserve(`pre-${id}`, id, r);
    }
    return ledger.place('k', asTable ? new CandidateTable(candidates) : candidates, request, policy, options);
  };
export const runs: [string, Run][] = [
  ['schedule(array)', (c, r, q, p, o) => schedule(c, fixedReservations(r), q, p, o)],
  ['schedule(table)', (c, r, q, p, o) => schedule(new CandidateTable(c), fixedReservations(r), q, p, o)],
  ['ledger.place(array)', viaLedger(false)],
  ['ledger.place(table)', viaLedger(true)],
];
