import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { CanopyLabels, type JobStatusMessage, type RegistryAuthDto } from '@canopy/schema';
import { TEST_IMAGE, containersOfNode, dockerInspect, sleeperSpec, waitFor } from '@canopy/testing';
import { EngineStand } from './support/engine-stand';
import { TestRegistry } from './support/test-registry';

jest.setTimeout(90_000);

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * Issue 10: a user ran another tenant's cached private image without credentials. Against a real
 * registry with a login (Debian's docker-registry) and the real Docker engine: the node pulls every
 * time credentials come along, and an image it once pulled with credentials is private on that
 * node, also after a restart: without credentials (or with wrong ones) the launch fails, even
 * though the image sits in Docker's cache.
 */
describe('private images at the node (real registry with a login, real Docker)', () => {
  const registry = new TestRegistry('alice', 'right-password');
  const stand = new EngineStand('private');
  const { nodeId, cluster } = stand;
  let image = '';
  let auth: RegistryAuthDto;

  const statusOf =
    (serviceId: string, ...statuses: string[]) =>
    (): JobStatusMessage | undefined =>
      cluster.jobStatuses(0).find((m) => m.serviceId === serviceId && statuses.includes(m.status));

  const ownersOfContainers = async (): Promise<(string | undefined)[]> =>
    Promise.all(
      (await containersOfNode(nodeId)).map(
        async (id) => (await dockerInspect(id))?.Config.Labels[CanopyLabels.serviceId],
      ),
    );

  beforeAll(async () => {
    await stand.start({ allowPrivateRegistries: true }, log);
    await registry.start();
    image = await registry.push(TEST_IMAGE, 'tenant-a/busybox:latest');
    auth = { username: 'alice', password: 'right-password', serveraddress: registry.address };
  });

  afterAll(async () => {
    await stand.stop();
    await registry.stop();
  });

  it('runs the image for a spec with the right credentials, and remembers it as private (0600)', async () => {
    await cluster.command('deploy', sleeperSpec('with-login', { image, registryAuth: auth }));
    const up = await waitFor('RUNNING', statusOf('with-login', 'RUNNING', 'FAILED'), 30_000);
    expect(up.status).toBe('RUNNING');
    const file = path.join(stand.dataDirectory, 'private-images.json');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toEqual({
      repositories: [`${registry.address}/tenant-a/busybox`],
    });
  });

  it('fails a spec without credentials for that image instead of running the cached copy', async () => {
    await cluster.command('deploy', sleeperSpec('no-login', { image }));
    const failed = await waitFor('FAILED', statusOf('no-login', 'RUNNING', 'FAILED'), 30_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.status_detail).toMatch(/could not be pulled: access denied by the registry: it requires a login/);
    expect(await ownersOfContainers()).not.toContain('no-login');
  });

  it('fails a spec with a wrong password although the image is cached', async () => {
    const wrong = { ...auth, password: 'wrong-password' };
    await cluster.command('deploy', sleeperSpec('wrong-login', { image, registryAuth: wrong }));
    const failed = await waitFor('FAILED', statusOf('wrong-login', 'RUNNING', 'FAILED'), 30_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.status_detail).toMatch(/could not be pulled: access denied by the registry/);
    expect(failed.status_detail).not.toContain('wrong-password');
    expect(await ownersOfContainers()).not.toContain('wrong-login');
  });

  it('keeps the image private across a node restart', async () => {
    await stand.restartEngine(log);
    await cluster.command('deploy', sleeperSpec('after-restart', { image }));
    const failed = await waitFor('FAILED', statusOf('after-restart', 'RUNNING', 'FAILED'), 30_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.status_detail).toMatch(/access denied by the registry: it requires a login/);
    expect(await ownersOfContainers()).not.toContain('after-restart');
  });
});
