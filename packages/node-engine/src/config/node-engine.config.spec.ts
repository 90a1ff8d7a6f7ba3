import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { configFilePath, loadNodeEngineConfig, readConfigFile, resolveNodeEngineConfig } from './node-engine.config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';

const base = { NODE_TOKEN: 'join-secret' };

function errorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadNodeEngineConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadNodeEngineConfig', () => {
  it('needs only NODE_TOKEN and fills in the embedded defaults', () => {
    expect({ ...loadNodeEngineConfig(base) }).toEqual({
      clusterUrl: 'http://127.0.0.1:10100',
      nodeToken: 'join-secret',
      nodeName: os.hostname(),
      dataDir: path.resolve('.canopy/node'),
      dockerSocket: undefined,
      publicIp: '127.0.0.1',
      caFile: undefined,
      reportIntervalMs: 2000,
      labels: undefined,
      location: undefined,
      ieId: undefined,
      allowPrivileged: false,
      allowHostNamespaces: false,
      allowBindMounts: false,
      allowDockerSocket: false,
      allowNamedVolumes: false,
      allowPrivateRegistries: false,
      hostPorts: { min: 1024, max: 65535 },
      maxPorts: 16,
      pidsLimit: 512,
      defaultMemoryMb: 512,
      defaultVcpus: 1,
      allowCapabilities: [],
      imageAllowlist: [],
      gpus: 0,
      restartBackoffBaseMs: 10_000,
      restartBackoffMaxMs: 300_000,
      restartResetAfterMs: 600_000,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadNodeEngineConfig({
      ...base,
      CLUSTER_URL: 'http://cluster.example:10100/',
      NODE_NAME: 'edge-1',
      NODE_DATA_DIR: '/var/lib/canopy',
      DOCKER_HOST: 'tcp://10.0.0.5:2375',
      NODE_PUBLIC_IP: '203.0.113.7',
      REPORT_INTERVAL_MS: '500',
      NODE_LABELS: 'zone=a, gpu=none',
      NODE_ALLOW_PRIVILEGED: 'true',
      NODE_ALLOW_HOST_NAMESPACES: 'true',
      NODE_ALLOW_BIND_MOUNTS: 'true',
      NODE_ALLOW_DOCKER_SOCKET: 'false',
      NODE_ALLOW_CAPABILITIES: 'net_admin, CAP_SYS_TIME',
      NODE_IMAGE_ALLOWLIST: 'registry.example.org/, docker.io/library/*',
      NODE_GPUS: '2',
      RESTART_BACKOFF_BASE_MS: '100',
      RESTART_BACKOFF_MAX_MS: '1000',
      RESTART_RESET_AFTER_MS: '5000',
      UNRELATED: 'ignored',
    });
    expect({ ...config }).toEqual({
      clusterUrl: 'http://cluster.example:10100',
      nodeToken: 'join-secret',
      nodeName: 'edge-1',
      dataDir: '/var/lib/canopy',
      dockerSocket: 'tcp://10.0.0.5:2375',
      publicIp: '203.0.113.7',
      reportIntervalMs: 500,
      labels: { zone: 'a', gpu: 'none' },
      allowPrivileged: true,
      allowHostNamespaces: true,
      allowBindMounts: true,
      allowDockerSocket: false,
      allowNamedVolumes: false,
      allowPrivateRegistries: false,
      hostPorts: { min: 1024, max: 65535 },
      maxPorts: 16,
      pidsLimit: 512,
      defaultMemoryMb: 512,
      defaultVcpus: 1,
      allowCapabilities: ['NET_ADMIN', 'SYS_TIME'],
      imageAllowlist: ['registry.example.org/', 'docker.io/library/*'],
      gpus: 2,
      restartBackoffBaseMs: 100,
      restartBackoffMaxMs: 1000,
      restartResetAfterMs: 5000,
      caFile: undefined,
      ieId: undefined,
      location: undefined,
      logLevel: 'info',
    });
  });

  it('reads the node location for geographic placement and names a malformed one', () => {
    expect(loadNodeEngineConfig({ ...base, NODE_LOCATION: '48.14,11.58' }).location).toBe('48.14,11.58');
    const error = errorFor({ ...base, NODE_LOCATION: 'Munich' });
    expect(error.variable).toBe('NODE_LOCATION');
    expect(error.message).toContain('lat,long');
  });

  it('reads the aerOS IE id from NODE_IE_ID or the file, and names one that is not a URN', () => {
    const id = 'urn:ngsi-ld:InfrastructureElement:CloudFerro:2473d6a5a43b';
    expect(loadNodeEngineConfig({ ...base, NODE_IE_ID: id }).ieId).toBe(id);
    expect(loadNodeEngineConfig(base).ieId).toBeUndefined();
    expect(resolveNodeEngineConfig({ env: {}, file: { path: 'f.yaml', values: { token: 't', ieId: id } } }).ieId).toBe(
      id,
    );
    for (const bad of ['worker1', 'urn:ngsi-ld:IE:has space', `urn:x:${'a'.repeat(300)}`]) {
      const error = errorFor({ ...base, NODE_IE_ID: bad });
      expect(error.variable).toBe('NODE_IE_ID');
    }
    expect(errorFor({ ...base, NODE_IE_ID: `urn:x:${'a'.repeat(300)}` }).message).toContain('at most 256');
  });

  it('accepts a unix socket DOCKER_HOST and treats empty variables as unset', () => {
    const config = loadNodeEngineConfig({ ...base, DOCKER_HOST: 'unix:///run/user/1000/docker.sock', CLUSTER_URL: '' });
    expect(config.dockerSocket).toBe('unix:///run/user/1000/docker.sock');
    expect(config.clusterUrl).toBe('http://127.0.0.1:10100');
  });

  it.each([
    ['NODE_TOKEN', {}],
    ['NODE_TOKEN', { NODE_TOKEN: '' }],
    ['CLUSTER_URL', { ...base, CLUSTER_URL: 'cluster:10100' }],
    ['CLUSTER_URL', { ...base, CLUSTER_URL: 'ftp://cluster:10100' }],
    ['NODE_NAME', { ...base, NODE_NAME: 'has space' }],
    ['DOCKER_HOST', { ...base, DOCKER_HOST: '/var/run/docker.sock' }],
    ['DOCKER_HOST', { ...base, DOCKER_HOST: 'tcp://host-without-port' }],
    ['REPORT_INTERVAL_MS', { ...base, REPORT_INTERVAL_MS: 'fast' }],
    ['REPORT_INTERVAL_MS', { ...base, REPORT_INTERVAL_MS: '-5' }],
    ['REPORT_INTERVAL_MS', { ...base, REPORT_INTERVAL_MS: '1' }],
    ['NODE_LABELS', { ...base, NODE_LABELS: 'zone' }],
    ['NODE_LABELS', { ...base, NODE_LABELS: 'a=1,,b=2' }],
    ['NODE_ALLOW_PRIVILEGED', { ...base, NODE_ALLOW_PRIVILEGED: 'yes' }],
    ['NODE_ALLOW_BIND_MOUNTS', { ...base, NODE_ALLOW_BIND_MOUNTS: '1' }],
    ['NODE_ALLOW_CAPABILITIES', { ...base, NODE_ALLOW_CAPABILITIES: 'NET ADMIN' }],
    ['RESTART_BACKOFF_BASE_MS', { ...base, RESTART_BACKOFF_BASE_MS: 'soon' }],
    ['RESTART_BACKOFF_BASE_MS', { ...base, RESTART_BACKOFF_BASE_MS: '0' }],
    ['NODE_HOST_PORT_RANGE', { ...base, NODE_HOST_PORT_RANGE: '2000-1000' }],
    ['NODE_DEFAULT_VCPUS', { ...base, NODE_DEFAULT_VCPUS: '0.001' }],
    ['LOG_LEVEL', { ...base, LOG_LEVEL: 'loud' }],
    ['RESTART_BACKOFF_MAX_MS', { ...base, RESTART_BACKOFF_BASE_MS: '5000', RESTART_BACKOFF_MAX_MS: '10' }],
  ])('names %s when it is bad (%j)', (variable, env) => {
    const error = errorFor(env);
    expect(error.variable).toBe(variable);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(variable);
  });
});

describe('resolveNodeEngineConfig: flags > environment > config file > defaults', () => {
  const file = (values: Record<string, unknown>) => ({ path: '/etc/canopy/node-engine.json', values });

  it('takes a setting from the file when nothing else names it', () => {
    const config = resolveNodeEngineConfig({
      env: {},
      file: file({ token: 'from-file', clusterUrl: 'http://file-cluster:10100', labels: { zone: 'b' } }),
    });
    expect(config).toMatchObject({
      nodeToken: 'from-file',
      clusterUrl: 'http://file-cluster:10100',
      labels: { zone: 'b' },
    });
  });

  it('lets the environment override the file, and flags override both', () => {
    const sources = {
      env: { NODE_TOKEN: 'from-env', NODE_NAME: 'env-name', CLUSTER_URL: 'http://env-cluster:10100' },
      file: file({ token: 'from-file', name: 'file-name', allowCapabilities: ['NET_ADMIN'] }),
    };
    expect(resolveNodeEngineConfig(sources)).toMatchObject({
      nodeToken: 'from-env',
      nodeName: 'env-name',
      clusterUrl: 'http://env-cluster:10100',
      allowCapabilities: ['NET_ADMIN'],
    });
    expect(
      resolveNodeEngineConfig({
        ...sources,
        flags: { token: 'from-flag', name: 'flag-name', clusterAddress: '10.0.0.9' },
      }),
    ).toMatchObject({ nodeToken: 'from-flag', nodeName: 'flag-name', clusterUrl: 'http://10.0.0.9:10100' });
  });

  it('builds the cluster URL from Oakestra-style -a <address> -p <port>', () => {
    const at = (flags: object, env: NodeJS.ProcessEnv = {}) =>
      resolveNodeEngineConfig({ env: { NODE_TOKEN: 't', ...env }, flags }).clusterUrl;
    expect(at({ clusterAddress: '192.168.1.10', clusterPort: '10200' })).toBe('http://192.168.1.10:10200');
    expect(at({ clusterAddress: 'cluster.local' })).toBe('http://cluster.local:10100');
    expect(at({ clusterAddress: 'https://cluster.example', clusterPort: 8443 })).toBe('https://cluster.example:8443');
    expect(at({ clusterPort: '10300' }, { CLUSTER_URL: 'http://envhost:10100' })).toBe('http://envhost:10300');
  });

  it('rejects an unknown key in the file, naming it', () => {
    expect(() => resolveNodeEngineConfig({ env: {}, file: file({ token: 't', alowPrivileged: true }) })).toThrow(
      /unknown key "alowPrivileged"/,
    );
  });

  it('reports a bad file value under the variable it stands for', () => {
    try {
      resolveNodeEngineConfig({ env: {}, file: file({ token: 't', allowBindMounts: 'maybe' }) });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as ConfigError).variable).toBe('NODE_ALLOW_BIND_MOUNTS');
    }
  });

  it('needs no token for the status command, and uses detected GPUs unless NODE_GPUS says otherwise', () => {
    expect(resolveNodeEngineConfig({ env: {}, requireToken: false, detectedGpus: 1 }).gpus).toBe(1);
    expect(resolveNodeEngineConfig({ env: { NODE_TOKEN: 't', NODE_GPUS: '0' }, detectedGpus: 1 }).gpus).toBe(0);
  });

  it('reads JSON and YAML files and picks the file from --config, then NODE_ENGINE_CONFIG, then the default', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'canopy-config-'));
    try {
      writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ token: 'j', gpus: 1 }));
      writeFileSync(path.join(dir, 'b.yaml'), 'token: y\nallowCapabilities:\n  - NET_ADMIN\n');
      expect(readConfigFile(path.join(dir, 'a.json')).values).toEqual({ token: 'j', gpus: 1 });
      expect(readConfigFile(path.join(dir, 'b.yaml')).values).toEqual({ token: 'y', allowCapabilities: ['NET_ADMIN'] });
      expect(() => readConfigFile(path.join(dir, 'missing.json'))).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(configFilePath('/x.yaml', { NODE_ENGINE_CONFIG: '/y.json' }, () => true)).toBe('/x.yaml');
    expect(configFilePath(undefined, { NODE_ENGINE_CONFIG: '/y.json' }, () => true)).toBe('/y.json');
    expect(configFilePath(undefined, {}, () => true)).toBe('/etc/canopy/node-engine.yaml');
    expect(configFilePath(undefined, {}, (p) => p.endsWith('.json'))).toBe('/etc/canopy/node-engine.json');
    expect(configFilePath(undefined, {}, () => false)).toBeUndefined();
  });
});
