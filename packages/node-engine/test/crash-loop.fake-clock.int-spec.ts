import pino from 'pino';
import type { JobStatusMessage } from '@canopy/schema';
import { dockerInspect, FakeClock, instanceSpec, waitFor } from '@canopy/testing';
import { EngineStand } from './support/engine-stand';

jest.setTimeout(60_000);

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * The production backoff (10 s, doubling) against the real Docker engine, on a fake clock: the
 * engine restarts a crashed container only when the test moves time past the restart's
 * `notBefore`, so minutes of crash loop take a second.
 */
describe('crash loop on an injected fake clock (real Docker)', () => {
  const stand = new EngineStand('fake-clock');
  const { cluster } = stand;
  const clock = new FakeClock(Date.now());

  const statuses = (serviceId: string): JobStatusMessage[] =>
    cluster.jobStatuses(0).filter((m) => m.serviceId === serviceId);

  beforeAll(async () => {
    await stand.start(
      {
        gpus: 0,
      },
      log,
      { clock },
    );
  });

  afterAll(async () => {
    await stand.stop();
  });

  it('restarts only once the clock passes each backoff delay: 10 s, then 20 s', async () => {
    await cluster.command('deploy', instanceSpec('looper', { cmd: ['sh', '-c', 'sleep 0.2; exit 1'] }));
    const dead = (n: number) => (): JobStatusMessage | undefined =>
      statuses('looper').filter((m) => m.status === 'DEAD')[n - 1];
    const restarted = (n: number) => (): JobStatusMessage | undefined =>
      statuses('looper').find((m) => m.status === 'RUNNING' && m.restarts === n);

    const first = await waitFor('the first crash', dead(1));
    expect(first.status_detail).toBe('container exited with code 1; restarting in 10 s (restart 1)');
    await waitFor('the restart to be armed', () => clock.nextTimerAt());
    clock.advance(9_999);
    // Nothing happens a millisecond early: the next marker (a heartbeat after the advance) comes first.
    const beat = cluster.heartbeats().length;
    await waitFor('a later heartbeat', () => cluster.heartbeats()[beat + 1]);
    expect(restarted(1)()).toBeUndefined();
    clock.advance(1);
    const once = await waitFor('the first restart', restarted(1));
    expect(once.status_detail).toBe('restarted once by the node; last exit: container exited with code 1');

    const second = await waitFor('the second crash', dead(2));
    expect(second.status_detail).toBe('container exited with code 1; restarting in 20 s (restart 2)');
    await waitFor('the restart to be armed', () => clock.nextTimerAt());
    clock.advance(19_999);
    const beat2 = cluster.heartbeats().length;
    await waitFor('a later heartbeat', () => cluster.heartbeats()[beat2 + 1]);
    expect(restarted(2)()).toBeUndefined();
    clock.advance(1);
    await waitFor('the second restart', restarted(2));
    expect(new Set(statuses('looper').flatMap((m) => (m.containerId ? [m.containerId] : []))).size).toBe(1);
  });

  it('never restarts a one-shot job that exited 0, however far the clock moves', async () => {
    await cluster.command('deploy', instanceSpec('batch', { cmd: ['sh', '-c', 'exit 0'], oneShot: true }));
    const done = await waitFor('COMPLETED', () => statuses('batch').find((m) => m.status === 'COMPLETED'));
    clock.advance(60 * 60_000);
    const beat = cluster.heartbeats().length;
    await waitFor('a later heartbeat', () => cluster.heartbeats()[beat + 1]);
    expect(statuses('batch').filter((m) => m.at! > done.at!)).toEqual([]);
    expect((await dockerInspect(done.containerId!))?.State.Running).toBe(false);
  });
});
