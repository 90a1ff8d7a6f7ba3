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
      nodes: this.nodes.list().length,
      activeNodes: this.nodes.activeIds().length,
      rootConnected: this.rootLink.connected,
      // `disrupted`: most nodes silent at once, so none is declared lost (SPEC §10).
      liveness: this.nodes.livenessMode(),
    };
  }
}
