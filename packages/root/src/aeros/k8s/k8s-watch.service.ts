import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AerosKind } from '@canopy/schema';
import type { Principal } from '../../auth/principal';
import { COMPONENTS, type ComponentObject, type ComponentsPort } from '../components.port';
import { componentTable, matchesSelectors } from './k8s-objects';

export interface WatchRequest {
  user: Principal;
  kind: AerosKind;
  /** Undefined watches every namespace. */
  namespace: string | undefined;
  fieldSelector: string | undefined;
  labelSelector: string | undefined;
  table: boolean;
  timeoutSeconds: number;
  /** The list time the watcher names (its list's resourceVersion): changes since then are replayed. */
  since: number | undefined;
}

type ComponentEvent = Parameters<Parameters<ComponentsPort['subscribe']>[0]>[0];

/** How far back a watch can start: kubectl watches right after its list. */
const REPLAY_MS = 120_000;
const REPLAY_MAX = 1000;

/** The API server's default upper bound on a watch (`--min-request-timeout`). */
const MAX_WATCH_SECONDS = 1800;

/**
 * `?watch=true`: a chunked stream of JSON lines `{type, object}` fed by `ComponentsPort.subscribe`.
 * The port's events are not scoped to a user, so each object is shown only if the watcher can `get`
 * it, and a DELETED only for objects it was shown. Open watches end when the app stops, so that
 * closing the HTTP server never waits for them.
 */
@Injectable()
export class K8sWatchService implements OnModuleInit, OnModuleDestroy {
  private readonly open = new Set<() => void>();
  /** Recent events, so a watch opened just after its list misses nothing written in between. */
  private readonly recent: { at: number; event: ComponentEvent }[] = [];
  private unsubscribeRecent: (() => void) | undefined;

  constructor(@Inject(COMPONENTS) private readonly components: ComponentsPort) {}

  onModuleInit(): void {
    this.unsubscribeRecent = this.components.subscribe((event) => {
      const now = Date.now();
      this.recent.push({ at: now, event });
      while (this.recent.length > REPLAY_MAX || (this.recent[0] !== undefined && this.recent[0].at < now - REPLAY_MS)) {
        this.recent.shift();
      }
    });
  }

  async start(req: Request, res: Response, w: WatchRequest, initiallyVisible: ComponentObject[]): Promise<void> {
    const since = w.since;
    const backlog = since === undefined ? [] : this.recent.filter((r) => r.at >= since).map((r) => r.event);
    // What the watcher's own list showed: the current objects, minus those created after it.
    const createdSince = new Set(backlog.filter((e) => e.type === 'ADDED').map((e) => key(e.object)));
    const visible = new Set(initiallyVisible.map((o) => key(o)).filter((k) => !createdSince.has(k)));
    let chain = Promise.resolve();
    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.flushHeaders();
    const send = (type: string, object: ComponentObject) => {
      const payload = w.table ? componentTable([object], Date.now(), object.metadata.resourceVersion) : object;
      res.write(`${JSON.stringify({ type, object: payload })}\n`);
    };
    const handle = (event: ComponentEvent): void => {
      const o = event.object;
      if (o.kind !== w.kind || (w.namespace !== undefined && o.metadata.namespace !== w.namespace)) {
        return;
      }
      if (!matchesSelectors(o, w.fieldSelector, w.labelSelector)) {
        return;
      }
      // Serialised, so the stream keeps the port's order even though visibility checks are async.
      chain = chain.then(async () => {
        if (event.type === 'DELETED') {
          if (visible.delete(key(o))) {
            send('DELETED', o);
          }
          return;
        }
        if (!(await this.canSee(w.user, o))) {
          return;
        }
        const type = visible.has(key(o)) ? 'MODIFIED' : 'ADDED';
        visible.add(key(o));
        send(event.type === 'ADDED' ? type : 'MODIFIED', o);
      });
    };
    // Backlog first, then live, with nothing in between (no await): the port's order holds.
    for (const event of backlog) {
      handle(event);
    }
    const unsubscribe = this.components.subscribe(handle);
    await new Promise<void>((resolve) => {
      let stopped = false;
      const stop = () => {
        if (stopped) {
          return;
        }
        stopped = true;
        clearTimeout(timer);
        unsubscribe();
        this.open.delete(stop);
        res.end();
        resolve();
      };
      const timer = setTimeout(stop, Math.min(w.timeoutSeconds || MAX_WATCH_SECONDS, MAX_WATCH_SECONDS) * 1000);
      this.open.add(stop);
      req.on('close', stop);
    });
  }

  private async canSee(user: Principal, o: ComponentObject): Promise<boolean> {
    try {
      await this.components.get(user, o.kind, o.metadata.namespace, o.metadata.name);
      return true;
    } catch {
      // Not found for this user (or gone again): not theirs to see.
      return false;
    }
  }

  onModuleDestroy(): void {
    this.unsubscribeRecent?.();
    for (const stop of [...this.open]) {
      stop();
    }
  }
}

function key(o: ComponentObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}
