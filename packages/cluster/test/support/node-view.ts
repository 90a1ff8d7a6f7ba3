import type { NodeView } from '../../src/nodes/nodes.service';
import type { ActiveNodes } from '../../src/scheduling/placement';

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

/**
 * Views as the aggregates read the registry (`NodesService.forEachActive`): each active node with its
 * last heartbeat; one without a `live` of its own reports what it registered.
 */
export function activeNodes(views: readonly NodeView[]): ActiveNodes {
  return {
    size: views.length,
    forEachActive(visit) {
      for (const view of views.filter((v) => v.active)) {
        const { active: _active, live, ...record } = view;
        const info = {
          cpuCores: view.cpuCores,
          cpuPercent: 0,
          memoryTotalMb: view.memoryMb,
          memoryFreeMb: 0,
          arch: view.arch,
          at: 0,
        };
        visit(record, live ?? { lastSeen: 0, info });
      }
    },
  };
}
