import type { Resources } from './types';

export const ZERO: Resources = Object.freeze({ cpuMillis: 0, memoryMb: 0, gpus: 0 });

/**
 * In-memory bookkeeping of what each placed instance reserves on its candidate, keyed by the
 * instance key string. Reserving the same key twice is a no-op (at-least-once delivery).
 */
export class ReservationLedger {
  private readonly byKey = new Map<string, { candidateId: string; resources: Resources }>();
  private readonly byCandidate = new Map<string, Resources>();

  reserve(key: string, candidateId: string, resources: Resources): void {
    if (this.byKey.has(key)) return;
    this.byKey.set(key, { candidateId, resources });
    const cur = this.byCandidate.get(candidateId) ?? ZERO;
    this.byCandidate.set(candidateId, {
      cpuMillis: cur.cpuMillis + resources.cpuMillis,
      memoryMb: cur.memoryMb + resources.memoryMb,
      gpus: cur.gpus + resources.gpus,
    });
  }

  release(key: string): void {
    const entry = this.byKey.get(key);
    if (!entry) return;
    this.byKey.delete(key);
    const cur = this.byCandidate.get(entry.candidateId) ?? ZERO;
    this.byCandidate.set(entry.candidateId, {
      cpuMillis: cur.cpuMillis - entry.resources.cpuMillis,
      memoryMb: cur.memoryMb - entry.resources.memoryMb,
      gpus: cur.gpus - entry.resources.gpus,
    });
  }

  /** What is reserved on a candidate; pass as `schedule`'s `reserved` argument. */
  reserved = (candidateId: string): Resources => this.byCandidate.get(candidateId) ?? ZERO;

  candidateOf(key: string): string | undefined {
    return this.byKey.get(key)?.candidateId;
  }
}
