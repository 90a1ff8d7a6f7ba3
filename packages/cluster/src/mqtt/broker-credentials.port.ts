import type { NodeSessions } from '../nodes/node-sessions';
import type { MqttLogin } from './mqtt-access';

/**
 * Who may log in to the broker as which node. Registration calls `grant` before it replies, so the
 * node's first CONNECT already finds its login; `revoke` makes a node's login stop working.
 * The in-process broker checks logins against the node registry itself (no-op adapter); an
 * external Mosquitto is told through its dynamic-security plugin (`MosquittoDynsecCredentials`).
 */
export abstract class BrokerCredentials {
  /**
   * Called once before the cluster's own bus connects. Answers the login the bus must use instead
   * of the configured one, or undefined to keep it.
   */
  abstract start(): Promise<MqttLogin | undefined>;
  /** The node may log in as `nodeId` with `password` (replacing an earlier one) and touch only `nodes/<nodeId>/…`. */
  abstract grant(nodeId: string, password: string): Promise<void>;
  /** The node's login stops working; a connection it has open is closed. */
  abstract revoke(nodeId: string): Promise<void>;
  abstract stop(): Promise<void>;
}

/**
 * The in-process broker reads the node registry on every login: nothing to tell it, except that a
 * revoked node's open connections end.
 */
export class RegistryCredentials extends BrokerCredentials {
  constructor(private readonly sessions: NodeSessions) {
    super();
  }

  start(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  grant(): Promise<void> {
    return Promise.resolve();
  }
  revoke(nodeId: string): Promise<void> {
    this.sessions.closeAll(nodeId);
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
