import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { loadNodeEngineConfig } from './node-engine.config';

const base = { NODE_TOKEN: 'join-secret' };

function errorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadNodeEngineConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadNodeEngineConfig', () => {
  it('needs only NODE_TOKEN and fills in the embedded defaults', () => {
    expect(loadNodeEngineConfig(base)).toEqual({
      clusterUrl: 'http://127.0.0.1:10100',
      nodeToken: 'join-secret',
      nodeName: os.hostname(),
      dataDir: path.resolve('.canopy/node'),
      dockerSocket: undefined,
      publicIp: '127.0.0.1',
      reportIntervalMs: 2000,
      labels: undefined,
      allowPrivileged: false,
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
      UNRELATED: 'ignored',
    });
    expect(config).toEqual({
      clusterUrl: 'http://cluster.example:10100',
      nodeToken: 'join-secret',
      nodeName: 'edge-1',
      dataDir: '/var/lib/canopy',
      dockerSocket: 'tcp://10.0.0.5:2375',
      publicIp: '203.0.113.7',
      reportIntervalMs: 500,
      labels: { zone: 'a', gpu: 'none' },
      allowPrivileged: true,
    });
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
  ])('names %s when it is bad (%j)', (variable, env) => {
    const error = errorFor(env);
    expect(error.variable).toBe(variable);
    expect(error.code).toBe('NODE_CONFIG_INVALID');
    expect(error.message).toContain(variable);
  });
});
