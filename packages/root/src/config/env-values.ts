import { envBool, envInt, presentEnv } from '@canopy/schema';

/** The root's readers over the one env loader in `@canopy/schema`: a wrong value names its variable. */
export function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  return envInt(name, env[name], fallback, min, max);
}

export function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return presentEnv({ [name]: env[name] })[name];
}

export function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  return envBool(name, env[name], fallback);
}
