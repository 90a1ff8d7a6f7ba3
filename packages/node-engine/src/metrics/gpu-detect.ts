import { readdirSync } from 'node:fs';

/** NVIDIA GPUs this machine exposes: one `/dev/nvidia<N>` device per card. */
export function detectGpus(devDir = '/dev'): number {
  try {
    return readdirSync(devDir).filter((name) => /^nvidia\d+$/.test(name)).length;
  } catch {
    return 0;
  }
}
