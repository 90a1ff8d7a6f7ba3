import { Controller, Get } from '@nestjs/common';
import { NodesService, type LivenessMode } from '../nodes/nodes.service';
import { RootLinkService } from '../root-link/root-link.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly nodes: NodesService,
    private readonly rootLink: RootLinkService,
  ) {}

  @Get()
  health(): { status: 'ok'; nodes: number; activeNodes: number; rootConnected: boolean; liveness: LivenessMode } {
    return {
      status: 'ok',
      // Counters, not the node list: answered in O(1) however many nodes there are.
      nodes: this.nodes.size,
      activeNodes: this.nodes.activeCount,
      rootConnected: this.rootLink.connected,
      // `disrupted`: most nodes silent at once, so none is declared lost (SPEC §10).
      liveness: this.nodes.livenessMode(),
    };
  }
}
