import type { InstanceStatus } from '@canopy/schema';

/** An instance's status (or its detail) changed. Wire names follow the REST views' snake_case. */
export interface InstanceEvent {
  type: 'instance';
  service_id: string;
  instance_number: number;
  status: InstanceStatus;
  detail: string;
  node?: string | undefined;
  cluster_id?: string | undefined;
  at: string;
}

/** A service was created, its spec or replica count changed, or it was deleted. */
export interface ServiceEvent {
  type: 'service';
  action: 'created' | 'updated' | 'deleted';
  service_id: string;
  application_id: string;
  name: string;
  replicas: number;
  generation: number;
  at: string;
}

export type CanopyEvent = InstanceEvent | ServiceEvent;

/** An event with who may see it (never sent). */
export interface ScopedEvent {
  ownerId: string;
  event: CanopyEvent;
}

export interface Viewer {
  userId: string;
  admin: boolean;
  /** Only this service's events. */
  serviceId?: string | undefined;
}

/** The owner and admins see an event; a `serviceId` filter narrows it to one service. */
export function visibleTo(viewer: Viewer, scoped: ScopedEvent): boolean {
  if (!viewer.admin && scoped.ownerId !== viewer.userId) {
    return false;
  }
  return viewer.serviceId === undefined || scoped.event.service_id === viewer.serviceId;
}

/** In-process fan-out to the SSE and Socket.IO subscribers. */
export class EventBus {
  private readonly subscribers = new Set<(scoped: ScopedEvent) => void>();

  publish(scoped: ScopedEvent): void {
    for (const s of this.subscribers) {
      s(scoped);
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(viewer: Viewer, deliver: (event: CanopyEvent) => void): () => void {
    const subscriber = (scoped: ScopedEvent) => {
      if (visibleTo(viewer, scoped)) {
        deliver(scoped.event);
      }
    };
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  get size(): number {
    return this.subscribers.size;
  }
}
