import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { detectDialect } from '../client/dialect';
import type { ApplicationView, ServiceView } from '../client/views';
import { client, out } from './shared';

/** `canopy apply -f <file>`: an Oakestra SLA (JSON) or an aerOS CR (YAML). */
export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('create what a file describes: an Oakestra SLA (JSON) or an aerOS CR (YAML, sent to the LLO API)')
    .requiredOption('-f, --file <file>', 'the SLA or CR file ("-" reads stdin)')
    .action(async (opts: { file: string }) => {
      const text = readFileSync(opts.file === '-' ? 0 : opts.file, 'utf8');
      const manifest = detectDialect(text);
      const api = client();
      if (manifest.dialect === 'aeros') {
        const created = await api.request('POST', '/v1/service-components', manifest.yaml, 'application/yaml');
        if (created.status === 409) {
          await api.call('PUT', '/v1/service-components', manifest.yaml, 'application/yaml');
          out(`${manifest.kind} ${manifest.name} updated (LLO API)`);
        } else if (created.status >= 200 && created.status < 300) {
          out(`${manifest.kind} ${manifest.name} created (LLO API); it deploys by itself: canopy get services`);
        } else {
          await api.call('POST', '/v1/service-components', manifest.yaml, 'application/yaml');
        }
        return;
      }
      const res = await api.call<{ applications: ApplicationView[] }>('POST', '/api/application', manifest.body);
      for (const app of res.applications) {
        out(`application ${app.application_name} created (${app.applicationID})`);
        const services = await api.call<ServiceView[]>('GET', `/api/services/${encodeURIComponent(app.applicationID)}`);
        for (const s of services) {
          out(`  service ${s.microservice_name} created (${s.microserviceID})`);
        }
      }
      out('deploy a service with: canopy deploy <service>');
    });
}
