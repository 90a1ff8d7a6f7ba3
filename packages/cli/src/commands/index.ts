import type { Command } from 'commander';
import { registerApply } from './apply';
import { registerCompletion } from './completion';
import { registerDelete } from './delete';
import { registerDeploy, registerScale } from './deploy';
import { registerDescribe } from './describe';
import { registerGet } from './get';
import { registerLogin } from './login';
import { registerLogs } from './logs';

export { ApiError } from '../client/api-client';
export { completionScript } from './completion';
export { CliError, matchByName } from './shared';

/** Every `canopy` command, one file each. */
export function registerCommands(program: Command): void {
  registerLogin(program);
  registerApply(program);
  registerGet(program);
  registerDescribe(program);
  registerDeploy(program);
  registerScale(program);
  registerLogs(program);
  registerDelete(program);
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
  registerCompletion(program);
}
