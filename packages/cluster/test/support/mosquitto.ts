import type { ChildProcess } from 'node:child_process';

/** Stops a broker (or any child) a test spawned, by its own handle, and waits until it has exited. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
