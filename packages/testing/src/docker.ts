import { execFile, execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { TEST_IMAGE } from './instance-spec';

const run = promisify(execFile);

/** The docker CLI, as an operator would check what the tiers did. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** The parts of `docker inspect` the tests look at. */
export interface InspectedContainer {
  Id: string;
  Name: string;
  State: { Running: boolean; ExitCode: number };
  HostConfig: { Memory: number; NanoCpus: number; Privileged: boolean; RestartPolicy: { Name: string } };
  Config: { Env: string[]; Labels: Record<string, string> };
}

export async function dockerInspect(id: string): Promise<InspectedContainer | undefined> {
  try {
    return (JSON.parse(await docker('inspect', id)) as InspectedContainer[])[0];
  } catch {
    return undefined;
  }
}

/** `docker inspect` of a container that must exist (`undefined`, a missing id, counts as missing). */
export async function dockerInspectExisting(id: string | undefined): Promise<InspectedContainer> {
  const found = await dockerInspect(id ?? 'missing-id');
  if (found === undefined) {
    throw new Error(`container ${id} does not exist`);
  }
  return found;
}

/** Full ids of the containers (running or not) carrying a label, read synchronously (for polls). */
export function containersWithLabel(label: string): string[] {
  const out = execFileSync('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', `label=${label}`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l.trim() !== '');
}

export function removeContainersWithLabel(label: string): void {
  const ids = containersWithLabel(label);
  if (ids.length > 0) {
    execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  }
}

/** The containers a node engine created (it labels each with its node id). */
export async function containersOfNode(nodeId: string): Promise<string[]> {
  const out = await docker('ps', '-aq', '--no-trunc', '--filter', `label=io.canopy.node-id=${nodeId}`);
  return out === '' ? [] : out.split('\n');
}

export async function removeContainersOfNode(nodeId: string): Promise<void> {
  const ids = await containersOfNode(nodeId);
  if (ids.length > 0) {
    await docker('rm', '-f', '-v', ...ids);
  }
}

/** Builds the local test image when it is missing (no registry is reachable here). */
export async function ensureTestImage(): Promise<void> {
  try {
    await docker('image', 'inspect', TEST_IMAGE);
  } catch {
    await run('bash', [path.resolve(__dirname, '../../../scripts/build-test-image.sh')], { timeout: 120_000 });
  }
}
