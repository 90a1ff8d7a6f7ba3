import { ConfigError } from '@canopy/nest-edge';
import { loadRootConfig } from './root-config';

function ngsiLd(env: NodeJS.ProcessEnv) {
  return loadRootConfig({ ROOT_DATA_DIR: '/tmp/unused', ...env }).ngsiLd;
}

function variableOf(env: NodeJS.ProcessEnv): string | undefined {
  try {
    ngsiLd(env);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.variable;
    throw error;
  }
}

describe('NGSI-LD configuration', () => {
  it('is off without CB_URL, whatever else is set', () => {
    expect(ngsiLd({})).toBeNull();
    expect(ngsiLd({ CB_PORT: '1026', CB_TOKEN: 'x', NGSI_LD_UPSERT_IES: 'true' })).toBeNull();
  });

  it('combines CB_URL and CB_PORT as aerOS does, with 1026 (its charts and Orion-LD) by default', () => {
    expect(ngsiLd({ CB_URL: 'http://orion-ld-broker.default.svc.cluster.local' })?.brokerUrl).toBe(
      'http://orion-ld-broker.default.svc.cluster.local:1026',
    );
    expect(ngsiLd({ CB_URL: 'http://10.220.2.101', CB_PORT: '31026' })?.brokerUrl).toBe('http://10.220.2.101:31026');
    expect(ngsiLd({ CB_URL: 'orion-ld' })?.brokerUrl).toBe('http://orion-ld:1026');
    expect(ngsiLd({ CB_URL: 'orion-ld:1027' })?.brokerUrl).toBe('http://orion-ld:1027');
    expect(ngsiLd({ CB_URL: 'http://orion-ld:1027/', CB_PORT: '1027' })?.brokerUrl).toBe('http://orion-ld:1027');
    // An explicit default port is still explicit (URL would drop it and we would add 1026).
    expect(ngsiLd({ CB_URL: 'http://gateway:80/orion/' })?.brokerUrl).toBe('http://gateway/orion');
    expect(ngsiLd({ CB_URL: 'https://domain.example', CB_PORT: '443' })?.brokerUrl).toBe('https://domain.example');
    expect(ngsiLd({ CB_URL: 'http://[::1]' })?.brokerUrl).toBe('http://[::1]:1026');
  });

  it('has small defaults and reads the tuning variables', () => {
    expect(ngsiLd({ CB_URL: 'http://orion-ld' })).toEqual({
      brokerUrl: 'http://orion-ld:1026',
      token: null,
      contextUrl: null,
      upsertInfrastructureElements: false,
      ieIntervalMs: 15_000,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      requestTimeoutMs: 10_000,
    });
    expect(
      ngsiLd({
        CB_URL: 'http://orion-ld',
        CB_TOKEN: 'abc.def-ghi',
        NGSI_LD_CONTEXT: 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
        NGSI_LD_UPSERT_IES: 'true',
        NGSI_LD_IE_INTERVAL_MS: '2000',
        NGSI_LD_RETRY_BASE_MS: '10',
        NGSI_LD_RETRY_MAX_MS: '20',
        NGSI_LD_TIMEOUT_MS: '300',
      }),
    ).toMatchObject({
      token: 'abc.def-ghi',
      contextUrl: 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld',
      upsertInfrastructureElements: true,
      ieIntervalMs: 2000,
      retryBaseMs: 10,
      retryMaxMs: 20,
      requestTimeoutMs: 300,
    });
  });

  it.each<[NodeJS.ProcessEnv, string]>([
    [{ CB_URL: 'ftp://orion-ld' }, 'CB_URL'],
    [{ CB_URL: 'http://' }, 'CB_URL'],
    [{ CB_URL: 'http://user:secret@orion-ld' }, 'CB_URL'],
    [{ CB_URL: 'http://orion-ld?x=1' }, 'CB_URL'],
    [{ CB_URL: 'http://orion-ld', CB_PORT: 'http' }, 'CB_PORT'],
    [{ CB_URL: 'http://orion-ld', CB_PORT: '70000' }, 'CB_PORT'],
    [{ CB_URL: 'http://orion-ld:1026', CB_PORT: '1027' }, 'CB_PORT'],
    [{ CB_URL: 'http://orion-ld', CB_TOKEN: 'two words' }, 'CB_TOKEN'],
    [{ CB_URL: 'http://orion-ld', NGSI_LD_UPSERT_IES: 'yes' }, 'NGSI_LD_UPSERT_IES'],
    [{ CB_URL: 'http://orion-ld', NGSI_LD_CONTEXT: 'core' }, 'NGSI_LD_CONTEXT'],
    [{ CB_URL: 'http://orion-ld', NGSI_LD_RETRY_BASE_MS: '0' }, 'NGSI_LD_RETRY_BASE_MS'],
    [{ CB_URL: 'http://orion-ld', NGSI_LD_RETRY_BASE_MS: '1000', NGSI_LD_RETRY_MAX_MS: '999' }, 'NGSI_LD_RETRY_MAX_MS'],
    [{ CB_URL: 'http://orion-ld', NGSI_LD_TIMEOUT_MS: '1.5' }, 'NGSI_LD_TIMEOUT_MS'],
    [{ CB_URL: 'http://orion-ld', NGSI_LD_IE_INTERVAL_MS: '-1' }, 'NGSI_LD_IE_INTERVAL_MS'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(variableOf(env)).toBe(variable);
  });

  it('never puts the token in the error text', () => {
    expect(() => ngsiLd({ CB_URL: 'http://orion-ld', CB_TOKEN: 'two secret words' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret') }),
    );
  });
});

describe('cluster loss timers', () => {
  const load = (env: Record<string, string>) => loadRootConfig({ ROOT_DATA_DIR: '/tmp/unused', ...env });

  it('defaults to 10 s suspect and 120 s lost', () => {
    const config = load({});
    expect([config.clusterSuspectMs, config.clusterLostMs]).toEqual([10_000, 120_000]);
  });

  it('reads both and refuses a lost time not longer than the suspect time', () => {
    expect(load({ CLUSTER_SUSPECT_MS: '5000', CLUSTER_LOST_MS: '20000' }).clusterLostMs).toBe(20_000);
    expect(() => load({ CLUSTER_SUSPECT_MS: '5000', CLUSTER_LOST_MS: '5000' })).toThrow(/CLUSTER_LOST_MS/);
    expect(() => load({ CLUSTER_SUSPECT_MS: 'soon' })).toThrow(/CLUSTER_SUSPECT_MS/);
  });
});
