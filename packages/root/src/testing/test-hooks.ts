import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * TEST-ONLY hook, never set in production. With `CANOPY_TEST_HOLD_DEPLOY_DIR` set, a deploy
 * (`POST /api/service/:id/instance`) that finds the file `arm` in that folder stops after its
 * checks and before its first write (the raised `replicas`): it writes `held` there and never
 * resumes. The restart e2e test waits for `held` and
 * kills the root, so the interrupted deploy is always the "not committed" branch, not luck.
 */
export async function holdDeployIfArmed(): Promise<void> {
  const dir = process.env.CANOPY_TEST_HOLD_DEPLOY_DIR;
  if (dir === undefined || dir === '' || !existsSync(join(dir, 'arm'))) {
    return;
  }
  writeFileSync(join(dir, 'held'), String(process.pid));
  await new Promise<never>(() => undefined);
}
