import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NgsiLdTestBroker } from './ngsi-ld-test-broker';
import pino, { type Logger } from 'pino';

import { loadRootConfig } from '../../src/config/root-config';

import { NgsiLdPublisher } from '../../src/aeros/ngsi-ld/ngsi-ld.publisher';
import { type RecordedRequest } from './ngsi-ld-test-broker';

/** What the NGSI-LD publisher's tests share (ngsi-ld-publisher*.int-spec.ts). */
export const IE = 'urn:ngsi-ld:InfrastructureElement:canopy:node-1';
export const NULL = 'urn:ngsi-ld:null';
export const TOKEN = 'cb-token-for-tests-0123456789';
export const OUTAGE_MS = 30_000;

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function captureLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

export const delivered = (id: string, n: number) => (requests: RecordedRequest[]) =>
  requests.filter((r) => r.entityIds.includes(id) && r.status >= 200 && r.status < 300).length >= n;

/** A publisher on `dataDir` sending to the test broker on `port`, with short retries. */
export function testPublisher(
  dataDir: string,
  port: number,
  log: Logger,
  env: NodeJS.ProcessEnv = {},
): NgsiLdPublisher {
  // aerOS's own way of naming the broker: CB_URL without a port, CB_PORT beside it.
  const config = loadRootConfig({
    ROOT_DATA_DIR: dataDir,
    CB_URL: 'http://127.0.0.1',
    CB_PORT: String(port),
    CB_TOKEN: TOKEN,
    NGSI_LD_RETRY_BASE_MS: '50',
    NGSI_LD_RETRY_MAX_MS: '400',
    NGSI_LD_TIMEOUT_MS: '2000',
    ...env,
  });
  return new NgsiLdPublisher(config, log);
}

/** Per test: a fresh data directory and test broker, and the publishers a test made, stopped after it. */
export interface PublisherStand {
  dataDir: string;
  broker: NgsiLdTestBroker;
  publisher(log: Logger, env?: NodeJS.ProcessEnv): NgsiLdPublisher;
}

export function publisherPerTest(): PublisherStand {
  const publishers: NgsiLdPublisher[] = [];
  const stand = {
    publisher(log: Logger, env: NodeJS.ProcessEnv = {}): NgsiLdPublisher {
      const p = testPublisher(stand.dataDir, stand.broker.port, log, env);
      publishers.push(p);
      return p;
    },
  } as PublisherStand;

  beforeEach(async () => {
    stand.dataDir = join(mkdtempSync(join(tmpdir(), 'canopy-ngsi-')), 'root');
    stand.broker = await NgsiLdTestBroker.start();
    stand.broker.expectToken = TOKEN;
  });

  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.stop()));
    await stand.broker.close();
    rmSync(join(stand.dataDir, '..'), { recursive: true, force: true });
  });
  return stand;
}
