import type { Command } from 'commander';
import { CliError, out } from './shared';

/** `canopy completion bash|zsh`. */
export function registerCompletion(program: Command): void {
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
