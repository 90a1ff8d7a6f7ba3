import type { NodeView } from '../../src/nodes/nodes.service';

/** A registered, active amd64 node as the registry shows it; tests override what they are about. */
export function nodeView(id: string, overrides: Partial<NodeView> = {}): NodeView {
  return {
    id,
    name: `name-${id}`,
    arch: 'amd64',
    cpuCores: 4,
    memoryMb: 8192,
    gpus: 0,
    labels: {},
    passwordSha256: 'x',
    registeredAt: 0,
    active: true,
    ...overrides,
  };
}
