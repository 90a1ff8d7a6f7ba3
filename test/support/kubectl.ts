import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './processes';

export interface KubectlBinary {
  /** e.g. `1.32` */
  version: string;
  path: string;
}

/**
 * The kubectl binaries to test the `/k8s` surface with: a current one (the machine's, or the
 * Cloud SDK's per-version build) and Debian's 1.20, fetched by scripts/lib/ensure-kubectl.sh.
 * Missing ones are left out (the caller skips them and says so).
 */
export function kubectlBinaries(): KubectlBinary[] {
  const found: KubectlBinary[] = [];
  const sdk = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
  if (existsSync(sdk)) {
    found.push({ version: '1.32', path: sdk });
  } else {
    const onPath = whichKubectl();
    if (onPath) {
      found.push({ version: clientVersion(onPath), path: onPath });
    }
  }
  let old = process.env.KUBECTL_1_20;
  if (!old) {
    try {
      old = execFileSync(
        'bash',
        ['-c', 'source scripts/lib/ensure-kubectl.sh >/dev/null 2>&1; printf %s "$KUBECTL_1_20"'],
        {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
    } catch {
      old = '';
    }
  }
  if (old && existsSync(old)) {
    found.push({ version: '1.20', path: old });
  }
  return found;
}

function whichKubectl(): string | undefined {
  try {
    return execFileSync('bash', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function clientVersion(bin: string): string {
  const out = execFileSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const v = (JSON.parse(out) as { clientVersion: { major: string; minor: string } }).clientVersion;
  return `${v.major}.${v.minor.replace(/\D.*$/, '')}`;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One kubectl with a fresh KUBECONFIG and HOME (so its discovery cache) in a temp dir: nothing
 * touches ~/.kube. The kubeconfig trusts the given CA and carries the bearer token.
 */
export class Kubectl {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  /** With no CA (a plain-HTTP server) and no token the kubeconfig names the server alone. */
  constructor(
    readonly bin: KubectlBinary,
    server: string,
    caPem?: string,
    token?: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `canopy-kubectl-${bin.version}-`));
    const kubeconfig = join(this.dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: canopy',
        '  cluster:',
        `    server: ${server}`,
        ...(caPem ? [`    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`] : []),
        'users:',
        '- name: canopy',
        ...(token ? ['  user:', `    token: ${token}`] : ['  user: {}']),
        'contexts:',
        '- name: canopy',
        '  context: {cluster: canopy, user: canopy, namespace: default}',
        'current-context: canopy',
        '',
      ].join('\n'),
    );
    this.env = { PATH: process.env.PATH, HOME: this.dir, KUBECONFIG: kubeconfig };
  }

  /** Writes `text` to a file in the temp dir and returns its path (for `-f`). */
  file(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  run(...args: string[]): Promise<KubectlResult> {
    return new Promise((resolve) => {
      execFile(this.bin.path, args, { env: this.env, timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** A long-running kubectl (e.g. `get -w`); its stdout so far is in `output()`. Stop it with `kill`. */
  start(...args: string[]): { child: ChildProcess; output: () => string } {
    const child = spawn(this.bin.path, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    return { child, output: () => out };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
