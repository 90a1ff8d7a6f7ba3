import type { Command } from 'commander';
import { parseFormat, render } from '../client/output';
import { CliError, client, formatOption, out, resolveService, running } from './shared';

/** `canopy describe service <id|name>`: one service in full. */
export function registerDescribe(program: Command): void {
  formatOption(
    program
      .command('describe')
      .description('one service in full, with its instances and their status history')
      .argument('<kind>', 'service')
      .argument('<service>', 'id or name'),
  ).action(async (kind: string, ref: string, opts: { output: string }) => {
    if (kind !== 'service') {
      throw new CliError(`canopy describe ${kind}: only "service" can be described`);
    }
    const format = parseFormat(opts.output);
    const s = await resolveService(client(), ref);
    if (format !== 'table') {
      out(render(format, s, []));
      return;
    }
    out(`Name:         ${s.microservice_name}.${s.microservice_namespace}`);
    out(`ID:           ${s.microserviceID}`);
    out(`Application:  ${s.applicationID}`);
    out(`Image:        ${s.code}`);
    out(`Replicas:     ${s.replicas} (running ${running(s)})`);
    out(`Resources:    memory ${s.memory ?? '-'} MB, vcpus ${s.vcpus ?? '-'}`);
    if (s.port) {
      out(`Ports:        ${s.port}`);
    }
    out(`Generation:   ${s.generation}`);
    out('Instances:');
    const instances = s.instance_list;
    if (instances.length === 0) {
      out('  none: deploy one with canopy deploy ' + String(s.microservice_name));
    }
    for (const i of instances) {
      const usage =
        typeof i.cpu === 'number' || typeof i.memory === 'number'
          ? `  cpu ${i.cpu ?? '-'}% memory ${i.memory ?? '-'} MB`
          : '';
      out(`  ${i.instance_number}  ${i.status}  ${i.node_name ?? '-'}${usage}  ${i.status_detail}`);
      for (const h of i.status_history) {
        out(`       ${h.at}  ${h.status}${h.detail ? `  ${h.detail}` : ''}`);
      }
    }
  });
}
