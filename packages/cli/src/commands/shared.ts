import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ApiClient } from '../client/api-client';
import {
  configPath,
  currentContext,
  loadConfig,
  saveConfig,
  upsertContext,
  type CliContext,
} from '../client/config-file';
import type { ApplicationView, ServiceView } from '../client/views';

/** A failure the user can act on: printed as is, exit code 1. */
export class CliError extends Error {}

export function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function client(): ApiClient {
  const path = configPath();
  const config = loadConfig(path);
  const context = currentContext(config);
  if (!context) {
    throw new CliError('not logged in: run canopy login <url> -u <user>');
  }
  return new ApiClient(context, (fresh: CliContext) => saveConfig(path, upsertContext(loadConfig(path), fresh)));
}

export async function readPassword(prompt: string): Promise<string> {
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

export async function applications(api: ApiClient): Promise<ApplicationView[]> {
  return api.call<ApplicationView[]>('GET', '/api/applications');
}

/** Every service the user may see, in two calls whatever the number of applications. */
export async function allServices(api: ApiClient): Promise<ServiceView[]> {
  const [apps, services] = await Promise.all([applications(api), api.call<ServiceView[]>('GET', '/api/services')]);
  const names = new Map(apps.map((a) => [a.applicationID, a.application_name]));
  return services.map((s) => ({ ...s, application_name: names.get(s.applicationID) }));
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

export async function resolveService(api: ApiClient, ref: string): Promise<ServiceView> {
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

export async function resolveApplication(api: ApiClient, ref: string): Promise<ApplicationView> {
  return matchByName(await applications(api), ref, (a) => [a.applicationID, a.application_name], 'application');
}

export function running(s: ServiceView): number {
  return s.instance_list.filter((i) => i.status === 'RUNNING').length;
}

/** `--timeout <seconds>` as a number, or an error naming the option. */
export function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(`--timeout ${value} is not a number of seconds: give one above 0, e.g. --timeout 300`);
  }
  return n;
}

/** `-o table|json|yaml` on a command. */
export function formatOption(cmd: Command): Command {
  return cmd.option('-o, --output <format>', 'table, json or yaml', 'table');
}
