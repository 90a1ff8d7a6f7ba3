import { Injectable } from '@nestjs/common';

/** A broker connection, as far as the registry needs it. */
export interface NodeSession {
  close(): void;
}

/**
 * Which nodes are logged in to the in-process broker right now. The broker writes it, the node
 * registry reads it: a name without a credential on record (a node registered before credentials
 * existed, or one the operator reset) takes a join token only while nobody is connected as that
 * node. With an external broker nothing is tracked here and the registry judges by heartbeats.
 */
@Injectable()
export class NodeSessions {
  /** Open broker connections per node id (a node may hold more than one while it reconnects). */
  private readonly open = new Map<string, Set<NodeSession>>();
  opened(nodeId: string, connection: NodeSession): void {
    const set = this.open.get(nodeId) ?? new Set<NodeSession>();
    set.add(connection);
    this.open.set(nodeId, set);
  }

  /** Idempotent: the broker may report one close twice (disconnect, then socket close). */
  closed(nodeId: string, connection: NodeSession): void {
    const set = this.open.get(nodeId);
    if (set?.delete(connection) === true && set.size === 0) {
      this.open.delete(nodeId);
    }
  }

  isConnected(nodeId: string): boolean {
    return this.open.has(nodeId);
  }

  /** Ends every connection open as `nodeId` (its login was revoked). */
  closeAll(nodeId: string): void {
    for (const connection of this.open.get(nodeId) ?? []) {
      connection.close();
    }
    this.open.delete(nodeId);
  }
}
