import type { Command } from 'commander';
import { ApiClient } from '../client/api-client';
import { configPath, contextName, loadConfig, saveConfig, upsertContext } from '../client/config-file';
import { CliError, out, readPassword } from './shared';

/** `canopy login <url> -u <user>`: a context in the config file. */
export function registerLogin(program: Command): void {
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
}
