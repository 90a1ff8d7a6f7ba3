import type { Command } from 'commander';
import { ProgressTracker } from '../client/progress';
import type { InstanceView } from '../client/views';
import { exitOn, withProgress } from './progress-watch';
import { CliError, client, out, resolveService, timeoutSeconds } from './shared';

/** `canopy deploy <service>`: one more instance, followed to RUNNING. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('deploy one more instance of a service and follow it to RUNNING')
    .argument('<service>', 'id or name')
    .option('--timeout <seconds>', 'give up after this long', '300')
    .action(async (ref: string, opts: { timeout: string }) => {
      const timeout = timeoutSeconds(opts.timeout);
      const api = client();
      const s = await resolveService(api, ref);
      const id = String(s.microserviceID);
      const start = Date.now();
      const outcome = await withProgress(api, id, timeout, async () => {
        const instance = await api.call<InstanceView>('POST', `/api/service/${encodeURIComponent(id)}/instance`);
        const tracker = new ProgressTracker(id, { instances: [instance.instance_number] }, start);
        tracker
          .accept(
            {
              type: 'instance',
              service_id: id,
              instance_number: instance.instance_number,
              status: 'REQUESTED',
              detail: '',
              at: '',
            },
            start,
          )
          .lines.forEach(out);
        // Later statuses come from the stream (subscribed before the POST), in the order they happened.
        return tracker;
      });
      exitOn(outcome, `${String(s.microservice_name)} is running: canopy logs ${String(s.microservice_name)}`);
    });
}

/** `canopy scale <service> <n>`: followed until exactly n run and the others have stopped. */
export function registerScale(program: Command): void {
  program
    .command('scale')
    .description('set how many instances of a service run, and follow them until exactly that many run (0 stops all)')
    .argument('<service>', 'id or name')
    .argument('<replicas>', 'instance count')
    .option('--timeout <seconds>', 'give up after this long', '300')
    .action(async (ref: string, replicas: string, opts: { timeout: string }) => {
      const n = Number(replicas);
      if (!Number.isInteger(n) || n < 0) {
        throw new CliError(`${replicas} is not a replica count: give 0 or more`);
      }
      const timeout = timeoutSeconds(opts.timeout);
      const api = client();
      const s = await resolveService(api, ref);
      const id = String(s.microserviceID);
      const start = Date.now();
      const outcome = await withProgress(api, id, timeout, async () => {
        const tracker = new ProgressTracker(id, { count: n }, start);
        for (const i of s.instance_list) {
          tracker.seed(i.instance_number, i.status);
        }
        const ms: Record<string, unknown> = { ...s, replicas: n };
        for (const k of [
          'microserviceID',
          'applicationID',
          'job_name',
          'generation',
          'created_at',
          'updated_at',
          'instance_list',
          'application_name',
        ]) {
          delete ms[k];
        }
        await api.call('PUT', `/api/service/${encodeURIComponent(id)}`, ms);
        out(`${String(s.microservice_name)}: replicas ${String(s.replicas)} -> ${n}`);
        return tracker;
      });
      exitOn(
        outcome,
        n === 0 ? `${String(s.microservice_name)}: none running` : `${String(s.microservice_name)}: ${n} running`,
      );
    });
}
