import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The docker CLI, as an operator would check what the node engine did. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** The parts of `docker inspect` these tests look at. */
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
    await docker('image', 'inspect', 'canopy-test/busybox:latest');
  } catch {
    await run('bash', [path.resolve(__dirname, '../../../../scripts/build-test-image.sh')], { timeout: 120_000 });
  }
}
