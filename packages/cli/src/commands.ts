import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ApiClient, ApiError } from './client/api-client';
import {
  configPath,
  contextName,
  currentContext,
  loadConfig,
  saveConfig,
  upsertContext,
  type CliContext,
} from './client/config-file';
import { detectDialect } from './client/dialect';
import { subscribe, type CanopyEvent } from './client/event-stream';
import { parseFormat, render, type Column, type OutputFormat } from './client/output';
import { ProgressTracker, type Outcome } from './client/progress';
import type { ApplicationView, ClusterView, InstanceRow, InstanceView, NodeView, ServiceView } from './client/views';

/** A failure the user can act on: printed as is, exit code 1. */
export class CliError extends Error {}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function client(): ApiClient {
  const path = configPath();
  const config = loadConfig(path);
  const context = currentContext(config);
  if (!context) {
    throw new CliError('not logged in: run canopy login <url> -u <user>');
  }
  return new ApiClient(context, (fresh: CliContext) => saveConfig(path, upsertContext(loadConfig(path), fresh)));
}

async function readPassword(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    process.stderr.write(prompt);
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  }
  const answer = await new Promise<string>((resolve) => rl.question(process.stdin.isTTY ? '' : '', resolve));
  rl.close();
  if (process.stdin.isTTY) {
    process.stderr.write('\n');
  }
  return answer;
}

// ---- lookups: names or ids wherever an id is taken ----

async function applications(api: ApiClient): Promise<ApplicationView[]> {
  return api.call<ApplicationView[]>('GET', '/api/applications');
}

async function allServices(api: ApiClient): Promise<ServiceView[]> {
  const apps = await applications(api);
  const lists = await Promise.all(
    apps.map((a) => api.call<ServiceView[]>('GET', `/api/services/${encodeURIComponent(a.applicationID)}`)),
  );
  return lists
    .flat()
    .map((s) => ({ ...s, application_name: apps.find((a) => a.applicationID === s.applicationID)?.application_name }));
}

/** An id, a service name, or `application.service` when a name is taken in several applications. */
export function matchByName<T>(items: T[], ref: string, names: (t: T) => string[], kind: string): T {
  const found = items.filter((t) => names(t).includes(ref));
  if (found.length === 1 && found[0]) {
    return found[0];
  }
  if (found.length === 0) {
    throw new CliError(`no ${kind} ${ref}: list them with canopy get ${kind}s`);
  }
  throw new CliError(`${found.length} ${kind}s are called ${ref}: name one by id (canopy get ${kind}s shows them)`);
}

async function resolveService(api: ApiClient, ref: string): Promise<ServiceView> {
  const direct = await api.request<ServiceView>('GET', `/api/service/${encodeURIComponent(ref)}`);
  if (direct.status === 200) {
    return direct.body;
  }
  if (direct.status === 401) {
    throw new CliError('your session ended: run canopy login again');
  }
  const services = await allServices(api);
  const id = matchByName(
    services,
    ref,
    (s) => [s.microserviceID, s.microservice_name, `${s.application_name}.${s.microservice_name}`, s.job_name],
    'service',
  ).microserviceID;
  return api.call<ServiceView>('GET', `/api/service/${encodeURIComponent(id)}`);
}

async function resolveApplication(api: ApiClient, ref: string): Promise<ApplicationView> {
  return matchByName(await applications(api), ref, (a) => [a.applicationID, a.application_name], 'application');
}

// ---- columns ----

const APP_COLUMNS: Column<ApplicationView>[] = [
  { header: 'id', value: (a) => a.applicationID },
  { header: 'name', value: (a) => a.application_name },
  { header: 'namespace', value: (a) => a.application_namespace },
  { header: 'services', value: (a) => a.microservices.length },
  { header: 'created', value: (a) => a.created_at },
];
const SERVICE_COLUMNS: Column<ServiceView>[] = [
  { header: 'id', value: (s) => s.microserviceID },
  { header: 'name', value: (s) => s.microservice_name },
  { header: 'application', value: (s) => s.application_name ?? s.applicationID },
  { header: 'image', value: (s) => s.code },
  { header: 'replicas', value: (s) => s.replicas },
  { header: 'running', value: (s) => `${running(s)}/${s.instance_list.length}` },
];
const INSTANCE_COLUMNS: Column<InstanceRow>[] = [
  { header: 'service', value: (i) => i.service_name },
  { header: 'instance', value: (i) => i.instance_number },
  { header: 'status', value: (i) => i.status },
  { header: 'node', value: (i) => i.node_name },
  {
    header: 'ports',
    value: (i) => i.host_ports.map((p) => `${p.host_port}->${p.container_port}/${p.protocol}`).join(','),
  },
  { header: 'detail', value: (i) => i.status_detail },
];
const CLUSTER_COLUMNS: Column<ClusterView>[] = [
  { header: 'id', value: (c) => c.id },
  { header: 'name', value: (c) => c.cluster_name },
  { header: 'location', value: (c) => c.cluster_location },
  { header: 'active', value: (c) => String(c.active) },
  { header: 'nodes', value: (c) => c.resources?.activeNodes ?? null },
];
const NODE_COLUMNS: Column<NodeView>[] = [
  { header: 'id', value: (n) => n.id },
  { header: 'hostname', value: (n) => n.hostname },
  { header: 'cluster', value: (n) => n.clusterName },
  {
    header: 'status',
    value: (n) =>
      String(n.infrastructureElementStatus ?? '')
        .split(':')
        .pop(),
  },
  { header: 'cpu', value: (n) => n.cpuCores },
  { header: 'ram', value: (n) => n.ramCapacity },
];

function running(s: ServiceView): number {
  return s.instance_list.filter((i) => i.status === 'RUNNING').length;
}

// ---- live progress ----

/**
 * Subscribes before acting so no status change is missed, acts, then prints each instance's
 * status changes until the tracker is done. Resolves with the outcome (a timeout fails).
 */
async function withProgress(
  api: ApiClient,
  serviceId: string,
  timeoutS: number,
  act: () => Promise<ProgressTracker>,
): Promise<Outcome> {
  await api.ensureFresh();
  const pending: CanopyEvent[] = [];
  let tracker: ProgressTracker | undefined;
  let finish: (o: Outcome) => void = () => undefined;
  const finished = new Promise<Outcome>((resolve) => (finish = resolve));
  const feed = (event: CanopyEvent) => {
    if (!tracker) {
      pending.push(event);
      return;
    }
    const { lines, outcome } = tracker.accept(event, Date.now());
    for (const line of lines) {
      out(line);
    }
    if (outcome.done) {
      finish(outcome);
    }
  };
  const stream = subscribe(api.server, api.token, serviceId, feed, (error) =>
    finish({ done: true, ok: false, reason: `the event stream broke: ${error.message}` }),
  );
  const timer = setTimeout(
    () => finish({ done: true, ok: false, reason: `not done after ${timeoutS}s (raise it with --timeout)` }),
    timeoutS * 1000,
  );
  try {
    await stream.opened;
    tracker = await act();
    const early = tracker.outcome();
    if (early.done) {
      finish(early);
    }
    for (const event of pending.splice(0)) {
      feed(event);
    }
    return await finished;
  } finally {
    clearTimeout(timer);
    stream.close();
  }
}

function exitOn(outcome: Outcome, success: string): void {
  if (outcome.done && outcome.ok) {
    out(success);
    return;
  }
  throw new CliError(outcome.done && !outcome.ok ? outcome.reason : 'interrupted');
}

// ---- the commands ----

export function registerCommands(program: Command): void {
  const formatOption = (cmd: Command) => cmd.option('-o, --output <format>', 'table, json or yaml', 'table');

  program
    .command('login')
    .description('log in to a root and make it the current context (kept in ~/.canopy/config, or $CANOPY_CONFIG)')
    .argument('<url>', "the root's URL, e.g. http://localhost:10000")
    .requiredOption('-u, --user <name>', 'user name')
    .option('-p, --password <password>', 'password (prompted for when left out)')
    .action(async (url: string, opts: { user: string; password?: string }) => {
      const server = url.replace(/\/+$/, '');
      try {
        new URL(server);
      } catch {
        throw new CliError(`${url} is not a URL: give it as http://host:port`);
      }
      const password = opts.password ?? (await readPassword(`password for ${opts.user}: `));
      const pair = await ApiClient.login(server, opts.user, password);
      const path = configPath();
      const name = contextName(server, opts.user);
      saveConfig(
        path,
        upsertContext(loadConfig(path), {
          name,
          server,
          user: opts.user,
          token: pair.token,
          refresh_token: pair.refresh_token,
        }),
      );
      out(`logged in to ${server} as ${opts.user} (context ${name}, saved in ${path})`);
    });

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

  const get = program.command('get').description('list applications, services, instances, clusters or nodes');
  const getter = <T>(
    name: string,
    alias: string,
    description: string,
    load: (api: ApiClient) => Promise<{ rows: T[]; columns: Column<T>[] }>,
  ) =>
    formatOption(get.command(name).alias(alias).description(description)).action(async (opts: { output: string }) => {
      const format: OutputFormat = parseFormat(opts.output);
      const { rows, columns } = await load(client());
      if (format === 'table' && rows.length === 0) {
        out(`no ${name}`);
      } else {
        out(render(format, rows, columns));
      }
    });
  getter('applications', 'application', 'your applications (every one for an admin)', async (api) => ({
    rows: await applications(api),
    columns: APP_COLUMNS,
  }));
  getter('services', 'service', 'the services of your applications', async (api) => ({
    rows: await allServices(api),
    columns: SERVICE_COLUMNS,
  }));
  getter('instances', 'instance', 'the instances of your services', async (api) => ({
    rows: (await allServices(api)).flatMap((s) =>
      s.instance_list.map((i): InstanceRow => ({
        service_id: s.microserviceID,
        service_name: s.microservice_name,
        ...i,
      })),
    ),
    columns: INSTANCE_COLUMNS,
  }));
  getter('clusters', 'cluster', 'the clusters attached to the root', async (api) => ({
    rows: await api.call<ClusterView[]>('GET', '/api/clusters'),
    columns: CLUSTER_COLUMNS,
  }));
  getter('nodes', 'node', 'every node, as an aerOS Infrastructure Element', async (api) => ({
    rows: await api.call<NodeView[]>('GET', '/api/infrastructure-elements'),
    columns: NODE_COLUMNS,
  }));

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
      out(`  ${i.instance_number}  ${i.status}  ${i.node_name ?? '-'}  ${i.status_detail}`);
      for (const h of i.status_history) {
        out(`       ${h.at}  ${h.status}${h.detail ? `  ${h.detail}` : ''}`);
      }
    }
  });

  program
    .command('deploy')
    .description('deploy one more instance of a service and follow it to RUNNING')
    .argument('<service>', 'id or name')
    .option('--timeout <seconds>', 'give up after this long', '300')
    .action(async (ref: string, opts: { timeout: string }) => {
      const api = client();
      const s = await resolveService(api, ref);
      const id = String(s.microserviceID);
      const start = Date.now();
      const outcome = await withProgress(api, id, Number(opts.timeout), async () => {
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

  program
    .command('scale')
    .description('set how many instances of a service run, and follow them to RUNNING')
    .argument('<service>', 'id or name')
    .argument('<replicas>', 'instance count')
    .option('--timeout <seconds>', 'give up after this long', '300')
    .action(async (ref: string, replicas: string, opts: { timeout: string }) => {
      const n = Number(replicas);
      if (!Number.isInteger(n) || n < 0) {
        throw new CliError(`${replicas} is not a replica count: give 0 or more`);
      }
      const api = client();
      const s = await resolveService(api, ref);
      const id = String(s.microserviceID);
      const start = Date.now();
      const outcome = await withProgress(api, id, Number(opts.timeout), async () => {
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
      exitOn(outcome, `${String(s.microservice_name)}: ${n} running`);
    });

  program
    .command('logs')
    .description("an instance's container log (its first instance unless n is given)")
    .argument('<service>', 'id or name')
    .argument('[n]', 'instance number')
    .option('--tail <lines>', 'how many lines', '100')
    .option('-f, --follow', 'keep printing new lines (polls every 2 s)')
    .action(async (ref: string, n: string | undefined, opts: { tail: string; follow?: boolean }) => {
      const api = client();
      const s = await resolveService(api, ref);
      const instances = s.instance_list;
      const number = n !== undefined ? Number(n) : instances[0]?.instance_number;
      if (number === undefined) {
        throw new CliError(`${String(s.microservice_name)} has no instance: canopy deploy ${ref}`);
      }
      const path = `/api/service/${encodeURIComponent(String(s.microserviceID))}/instance/${number}/logs`;
      let seen: string[] = [];
      const print = async (tail: string) => {
        const { lines } = await api.call<{ lines: string[] }>('GET', `${path}?tail=${tail}`);
        // Logs have no cursor: new lines are those after the longest overlap with what was printed.
        let skip = 0;
        for (let k = Math.min(seen.length, lines.length); k > 0; k--) {
          if (seen.slice(-k).every((l, i) => l === lines[i])) {
            skip = k;
            break;
          }
        }
        for (const line of lines.slice(skip)) {
          out(line);
        }
        seen = lines;
      };
      await print(opts.tail);
      while (opts.follow) {
        await new Promise((r) => setTimeout(r, 2000));
        await print('1000');
      }
    });

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

  program.addHelpText(
    'after',
    `
Getting started:
  canopy login http://localhost:10000 -u Admin     log in (the password is prompted for)
  canopy apply -f app.json                         create the applications of an SLA (or an aerOS CR in YAML)
  canopy get services                              list them; -o json or -o yaml for scripts
  canopy deploy <service>                          run one instance, following it to RUNNING
  canopy scale <service> 3                         run three
  canopy logs <service> -f                         follow its log
  canopy delete application <application>         undeploy and remove it

Services and applications are named by id or by name (application.service when a name is in several).`,
  );

  program
    .command('completion')
    .description('print a shell completion script (bash or zsh): source <(canopy completion bash)')
    .argument('[shell]', 'bash or zsh', 'bash')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') {
        throw new CliError(`no completion for ${shell}: use bash or zsh`);
      }
      out(completionScript(program, shell));
    });
}

/** Completes commands and their first word (kinds), from the program's own definition. */
export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const commands = program.commands.map((c) => c.name()).join(' ');
  const kinds: Record<string, string> = {
    get: 'applications services instances clusters nodes',
    describe: 'service',
    delete: 'application service',
    completion: 'bash zsh',
  };
  const cases = Object.entries(kinds)
    .map(([c, words]) => `      ${c}) COMPREPLY=( $(compgen -W "${words}" -- "$cur") ); return ;;`)
    .join('\n');
  const body = `_canopy() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands}" -- "$cur") ); return
  fi
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
${cases}
    esac
  fi
  case "\${COMP_WORDS[COMP_CWORD-1]}" in
    -o|--output) COMPREPLY=( $(compgen -W "table json yaml" -- "$cur") ); return ;;
    -f|--file) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
}
complete -F _canopy canopy`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${body}` : body;
}

export { ApiError };
