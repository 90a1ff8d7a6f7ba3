import { hostname } from 'node:os';
import { ConfigError, loadClusterConfig } from './cluster-config';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadClusterConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadClusterConfig', () => {
  it('works with only the cluster token set, using the embedded defaults', () => {
    const config = loadClusterConfig({ CLUSTER_TOKEN: 'secret', PATH: '/usr/bin' });
    expect(config).toMatchObject({
      rootUrl: 'http://127.0.0.1:10000',
      clusterToken: 'secret',
      port: 10100,
      host: '0.0.0.0',
      mqttPort: 10003,
      dataDir: './.canopy/cluster',
      nodeLivenessMs: 8_000,
      syncIntervalMs: 15_000,
    });
    expect(config.nodeToken).toBeUndefined();
    expect(config.mqttUrl).toBeUndefined();
    expect(config.clusterName).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/);
    if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(hostname())) {
      expect(config.clusterName).toBe(hostname());
    }
  });

  it('reads every variable', () => {
    const config = loadClusterConfig({
      ROOT_URL: 'https://root.example:10000/',
      CLUSTER_TOKEN: 'secret',
      CLUSTER_NAME: 'edge-1',
      CLUSTER_LOCATION: '48.26,11.67',
      CLUSTER_PORT: '20100',
      CLUSTER_HOST: '127.0.0.1',
      NODE_TOKEN: 'join-token-123',
      MQTT_PORT: '0',
      MQTT_URL: 'mqtt://mosquitto:1883',
      MQTT_USERNAME: 'cluster',
      MQTT_PASSWORD: 'pw',
      MQTT_NODE_USERNAME: 'node',
      MQTT_NODE_PASSWORD: 'npw',
      MQTT_ADVERTISED_HOST: 'broker.example',
      MQTT_ADVERTISED_PORT: '8883',
      CLUSTER_DATA_DIR: '/var/lib/canopy',
      NODE_LIVENESS_MS: '5000',
      SYNC_INTERVAL_MS: '2000',
    });
    expect(config).toMatchObject({
      rootUrl: 'https://root.example:10000',
      clusterName: 'edge-1',
      clusterLocation: '48.26,11.67',
      port: 20100,
      host: '127.0.0.1',
      nodeToken: 'join-token-123',
      mqttPort: 0,
      mqttUrl: 'mqtt://mosquitto:1883',
      mqttUsername: 'cluster',
      mqttNodeUsername: 'node',
      mqttNodePassword: 'npw',
      mqttAdvertisedHost: 'broker.example',
      mqttAdvertisedPort: 8883,
      dataDir: '/var/lib/canopy',
      nodeLivenessMs: 5000,
      syncIntervalMs: 2000,
    });
  });

  it('takes the aerOS domain from CLUSTER_DOMAIN, bare or as a Domain URN, defaulting to the cluster name', () => {
    expect(loadClusterConfig({ CLUSTER_TOKEN: 's', CLUSTER_NAME: 'edge-1' }).clusterDomain).toBe('edge-1');
    expect(loadClusterConfig({ CLUSTER_TOKEN: 's', CLUSTER_DOMAIN: 'CloudFerro' }).clusterDomain).toBe('CloudFerro');
    expect(loadClusterConfig({ CLUSTER_TOKEN: 's', CLUSTER_DOMAIN: 'urn:ngsi-ld:Domain:NCSRD' }).clusterDomain).toBe(
      'NCSRD',
    );
  });

  it('takes MQTT_DYNSEC only with an external broker and its admin login, and without a shared node login', () => {
    const base = { CLUSTER_TOKEN: 'secret', MQTT_URL: 'mqtt://mosquitto:1883', MQTT_USERNAME: 'admin' };
    expect(loadClusterConfig({ ...base, MQTT_DYNSEC: 'true' }).mqttDynsec).toBe(true);
    expect(loadClusterConfig(base).mqttDynsec).toBe(false);
    expect(configError({ ...base, MQTT_DYNSEC: 'yes' }).variable).toBe('MQTT_DYNSEC');
    expect(configError({ CLUSTER_TOKEN: 'secret', MQTT_DYNSEC: 'true' }).variable).toBe('MQTT_DYNSEC');
    const shared = { ...base, MQTT_DYNSEC: 'true', MQTT_NODE_USERNAME: 'w', MQTT_NODE_PASSWORD: 'p' };
    expect(configError(shared).variable).toBe('MQTT_NODE_USERNAME');
  });

  it('reads the overload settings, with defaults for a cluster sized at 10,000 nodes reporting every 2 s', () => {
    expect(loadClusterConfig({ CLUSTER_TOKEN: 's' })).toMatchObject({
      nodeReportIntervalMs: 2000,
      nodeReportIntervalMaxMs: 60_000,
      nodeReportsPerSecond: 5000,
      overloadLoopDelayMs: 100,
      mqttConnectRate: 500,
      registerAdmissionRate: 500,
    });
    expect(
      loadClusterConfig({
        CLUSTER_TOKEN: 's',
        NODE_REPORT_INTERVAL_MS: '1000',
        NODE_REPORT_INTERVAL_MAX_MS: '30000',
        NODE_REPORTS_PER_SECOND: '200',
        CLUSTER_OVERLOAD_LOOP_DELAY_MS: '250',
        MQTT_CONNECT_RATE: '50',
        REGISTER_ADMISSION_RATE: '20',
      }),
    ).toMatchObject({
      nodeReportIntervalMs: 1000,
      nodeReportIntervalMaxMs: 30_000,
      nodeReportsPerSecond: 200,
      overloadLoopDelayMs: 250,
      mqttConnectRate: 50,
      registerAdmissionRate: 20,
    });
  });

  it('treats empty values as unset', () => {
    expect(loadClusterConfig({ CLUSTER_TOKEN: 's', CLUSTER_PORT: '', MQTT_URL: '' })).toMatchObject({
      port: 10100,
      mqttUrl: undefined,
    });
  });

  it.each([
    [{}, 'CLUSTER_TOKEN'],
    [{ CLUSTER_TOKEN: 's', CLUSTER_PORT: 'http' }, 'CLUSTER_PORT'],
    [{ CLUSTER_TOKEN: 's', CLUSTER_PORT: '70000' }, 'CLUSTER_PORT'],
    [{ CLUSTER_TOKEN: 's', MQTT_PORT: '-1' }, 'MQTT_PORT'],
    [{ CLUSTER_TOKEN: 's', ROOT_URL: 'root:10000' }, 'ROOT_URL'],
    [{ CLUSTER_TOKEN: 's', CLUSTER_NAME: 'has space' }, 'CLUSTER_NAME'],
    [{ CLUSTER_TOKEN: 's', CLUSTER_DOMAIN: 'a:b' }, 'CLUSTER_DOMAIN'],
    [{ CLUSTER_TOKEN: 's', CLUSTER_DOMAIN: 'urn:ngsi-ld:Domain:' }, 'CLUSTER_DOMAIN'],
    [{ CLUSTER_TOKEN: 's', MQTT_URL: 'http://broker' }, 'MQTT_URL'],
    [{ CLUSTER_TOKEN: 's', NODE_LIVENESS_MS: 'soon' }, 'NODE_LIVENESS_MS'],
    [{ CLUSTER_TOKEN: 's', NODE_LOST_MS: '2d' }, 'NODE_LOST_MS'],
    [{ CLUSTER_TOKEN: 's', MQTT_MAX_CONNECTIONS: '0' }, 'MQTT_MAX_CONNECTIONS'],
    [{ CLUSTER_TOKEN: 's', CLUSTER_PORT: '65536' }, 'CLUSTER_PORT'],
    [{ CLUSTER_TOKEN: 's', LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ CLUSTER_TOKEN: 's', SYNC_INTERVAL_MS: '5' }, 'SYNC_INTERVAL_MS'],
    [{ CLUSTER_TOKEN: 's', NODE_TOKEN: 'short' }, 'NODE_TOKEN'],
    [{ CLUSTER_TOKEN: 's', MQTT_NODE_USERNAME: 'node' }, 'MQTT_NODE_PASSWORD'],
    [{ CLUSTER_TOKEN: 's', NODE_REPORTS_PER_SECOND: '0' }, 'NODE_REPORTS_PER_SECOND'],
    [{ CLUSTER_TOKEN: 's', NODE_REPORT_INTERVAL_MS: '50' }, 'NODE_REPORT_INTERVAL_MS'],
    [
      { CLUSTER_TOKEN: 's', NODE_REPORT_INTERVAL_MS: '3000', NODE_REPORT_INTERVAL_MAX_MS: '2000' },
      'NODE_REPORT_INTERVAL_MAX_MS',
    ],
    [{ CLUSTER_TOKEN: 's', MQTT_CONNECT_RATE: 'fast' }, 'MQTT_CONNECT_RATE'],
    [{ CLUSTER_TOKEN: 's', REGISTER_ADMISSION_RATE: '-1' }, 'REGISTER_ADMISSION_RATE'],
    [{ CLUSTER_TOKEN: 's', CLUSTER_OVERLOAD_LOOP_DELAY_MS: '0' }, 'CLUSTER_OVERLOAD_LOOP_DELAY_MS'],
  ])('rejects %j naming %s', (env, variable) => {
    const err = configError(env);
    expect(err.variable).toBe(variable);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(variable);
  });
});
