import type { Command } from 'commander';
import { CliError, client, out, resolveService } from './shared';

/** `canopy logs <service> [n] [-f]`: an instance's container log. */
export function registerLogs(program: Command): void {
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
      if (n !== undefined && !/^\d+$/.test(n)) {
        throw new CliError(
          `${n} is not an instance number: give 0 or more (canopy describe service ${ref} lists them)`,
        );
      }
      if (!/^\d+$/.test(opts.tail) || Number(opts.tail) < 1 || Number(opts.tail) > 10_000) {
        throw new CliError(`--tail ${opts.tail} is not a line count: give 1-10000`);
      }
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
}
