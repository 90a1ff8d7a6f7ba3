import type { Command } from 'commander';
import { CliError, client, out, resolveApplication, resolveService } from './shared';

/** `canopy delete application|service <ref>`. */
export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('delete an application (with its services) or a service, undeploying its instances')
    .argument('<kind>', 'application or service')
    .argument('<ref>', 'id or name')
    .action(async (kind: string, ref: string) => {
      const api = client();
      if (kind === 'application' || kind === 'app') {
        const app = await resolveApplication(api, ref);
        await api.call('DELETE', `/api/application/${encodeURIComponent(String(app.applicationID))}`);
        out(`application ${String(app.application_name)} deleted`);
      } else if (kind === 'service') {
        const s = await resolveService(api, ref);
        await api.call('DELETE', `/api/service/${encodeURIComponent(String(s.microserviceID))}`);
        out(`service ${String(s.microservice_name)} deleted`);
      } else {
        throw new CliError(`canopy delete ${kind}: give application or service`);
      }
    });
}
