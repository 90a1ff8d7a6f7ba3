/** One line of Docker's pull progress stream (the fields we read). */
export interface PullEvent {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Turns Docker's per-layer pull events into one overall percentage. Layers report their size only
 * once they start downloading, so early figures can move backwards a little; callers throttle anyway.
 */
export class PullProgressTracker {
  private readonly layers = new Map<string, { current: number; total: number }>();

  /** Feeds one event; returns the overall percentage (0..100) once any layer size is known. */
  update(event: PullEvent): number | undefined {
    const id = event.id;
    if (id !== undefined && event.status !== undefined) {
      const layer = this.layers.get(id) ?? { current: 0, total: 0 };
      const detail = event.progressDetail;
      if (event.status === 'Downloading' && detail?.total !== undefined && detail.total > 0) {
        layer.total = detail.total;
        layer.current = Math.min(detail.total, detail.current ?? 0);
      } else if (/^(Download complete|Pull complete|Already exists|Extracting)/.test(event.status)) {
        if (layer.total === 0) {
          layer.total = 1;
        }
        layer.current = layer.total;
      } else if (!/^Pulling fs layer|^Waiting/.test(event.status)) {
        return this.percent();
      }
      this.layers.set(id, layer);
    }
    return this.percent();
  }

  percent(): number | undefined {
    let current = 0;
    let total = 0;
    for (const layer of this.layers.values()) {
      current += layer.current;
      total += layer.total;
    }
    if (total === 0) {
      return undefined;
    }
    return Math.floor((100 * current) / total);
  }
}
