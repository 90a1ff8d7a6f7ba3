import { Controller, Get } from '@nestjs/common';
import { NodesService, type LivenessMode } from '../nodes/nodes.service';
import { ReportPaceService } from '../nodes/report-pace.service';
import { RootLinkService } from '../root-link/root-link.service';

@Controller('health')
export class HealthController {
  constructor(
    private readonly nodes: NodesService,
    private readonly rootLink: RootLinkService,
    private readonly pace: ReportPaceService,
  ) {}

  @Get()
  health(): {
    status: 'ok';
    nodes: number;
    activeNodes: number;
    rootConnected: boolean;
    liveness: LivenessMode;
    reportIntervalMs: number;
  } {
    return {
      status: 'ok',
      // Counters, not the node list: answered in O(1) however many nodes there are.
      nodes: this.nodes.size,
      activeNodes: this.nodes.activeCount,
      rootConnected: this.rootLink.connected,
      // `disrupted`: most nodes silent at once, so none is declared lost (SPEC §10).
      liveness: this.nodes.livenessMode(),
      // Longer than the nodes' default while the cluster sheds load (issue 14).
      reportIntervalMs: this.pace.intervalMs,
    };
  }
}
