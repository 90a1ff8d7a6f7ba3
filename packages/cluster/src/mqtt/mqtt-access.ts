import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { IdGenerator } from '../common/clock';
import { CLUSTER_CONFIG } from '../common/tokens';
import type { ClusterConfig } from '../config/cluster-config';
import type { BrokerTls } from './message-bus.port';

export interface MqttLogin {
  username: string;
  password: string;
}

/** Where nodes dial the broker and with which login, as told in the registration reply. */
export interface NodeBrokerAccess {
  port: number;
  host?: string | undefined;
  login: MqttLogin;
  /** The broker speaks MQTTS. */
  tls: boolean;
}

/**
 * Who logs in where. In-process mode: the cluster's own client uses a random credential made at
 * start (it never leaves the process), and each node logs in as its id with its own password.
 * External mode (MQTT_URL): the operator's broker decides; we pass the configured logins through.
 */
@Injectable()
export class MqttAccess {
  /** `$` cannot appear in a node id, so the cluster's login never collides with a node's. */
  static readonly CLUSTER_USERNAME = '$cluster';
  private readonly internalPassword: string;
  private brokerPort: number | undefined;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    ids: IdGenerator,
  ) {
    this.internalPassword = ids.secret();
  }

  get external(): boolean {
    return this.config.mqttUrl !== undefined;
  }

  /** The in-process broker reports the port it actually bound (the configured one may be 0). */
  setBrokerPort(port: number): void {
    this.brokerPort = port;
  }

  /** The broker (in-process with a certificate, or an `mqtts://` URL) speaks TLS. */
  get tls(): boolean {
    const url = this.config.mqttUrl;
    return url === undefined ? this.config.mqttTlsCertFile !== undefined : /^(mqtts|ssl|wss):/.test(url);
  }

  /** URL, login and TLS verification for the cluster's own client. */
  clusterConnection(): { url: string; login?: MqttLogin | undefined; tls?: BrokerTls | undefined } {
    const ca = this.config.mqttCaFile === undefined ? undefined : readFileSync(this.config.mqttCaFile);
    if (this.config.mqttUrl !== undefined) {
      const { mqttUsername: username, mqttPassword: password } = this.config;
      return {
        url: this.config.mqttUrl,
        login: username === undefined ? undefined : { username, password: password ?? '' },
        tls: this.tls && ca !== undefined ? { ca } : undefined,
      };
    }
    return {
      url: `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.boundPort()}`,
      login: { username: MqttAccess.CLUSTER_USERNAME, password: this.internalPassword },
      // Its own broker over loopback: the certificate names the host nodes dial, not 127.0.0.1.
      tls: this.tls && ca !== undefined ? { ca, skipHostnameCheck: true } : undefined,
    };
  }

  isClusterLogin(username: string, password: string, equal: (a: string, b: string) => boolean): boolean {
    return username === MqttAccess.CLUSTER_USERNAME && equal(password, this.internalPassword);
  }

  forNode(nodeId: string, nodePassword: string): NodeBrokerAccess {
    const c = this.config;
    if (c.mqttUrl !== undefined) {
      const url = new URL(c.mqttUrl);
      const login =
        c.mqttNodeUsername !== undefined
          ? { username: c.mqttNodeUsername, password: c.mqttNodePassword ?? '' }
          : { username: nodeId, password: nodePassword };
      return {
        port: c.mqttAdvertisedPort ?? (url.port === '' ? 1883 : Number(url.port)),
        host: c.mqttAdvertisedHost ?? url.hostname,
        login,
        tls: this.tls,
      };
    }
    return {
      port: c.mqttAdvertisedPort ?? this.boundPort(),
      host: c.mqttAdvertisedHost,
      login: { username: nodeId, password: nodePassword },
      tls: this.tls,
    };
  }

  private boundPort(): number {
    return this.brokerPort ?? this.config.mqttPort;
  }
}
