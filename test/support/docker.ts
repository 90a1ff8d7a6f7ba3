import { execFileSync } from 'node:child_process';

/** Ids of containers (running or not) carrying a label, via the docker CLI, as a user would look. */
export function containersWithLabel(label: string): string[] {
  const out = execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=${label}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '');
}

export function removeContainersWithLabel(label: string): void {
  const ids = containersWithLabel(label);
  if (ids.length > 0) {
    execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
}

export function ensureTestImage(): void {
  execFileSync('bash', [`${__dirname}/../../scripts/build-test-image.sh`], { stdio: 'ignore' });
}
