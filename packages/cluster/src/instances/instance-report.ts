import type { InstanceReportDto } from '@canopy/schema';
import type { InstanceRecord } from '../persistence/cluster.repository';
import { keyOf } from './convergence.planner';

/** The node fields a report carries. */
export interface ReportedNode {
  id: string;
  name: string;
  publicIp?: string | undefined;
}

/** One placement as the root reads it (`instance:status`, and every entry of the cluster's sync). */
export function toInstanceReport(record: InstanceRecord, node: ReportedNode | undefined): InstanceReportDto {
  const report: InstanceReportDto = { ...keyOf(record.spec), status: record.status };
  const o = record.observed;
  if (o.status_detail !== undefined) {
    report.status_detail = o.status_detail;
  }
  if (o.containerId !== undefined) {
    report.containerId = o.containerId;
  }
  if (o.hostPorts !== undefined) {
    report.hostPorts = o.hostPorts;
  }
  if (o.at !== undefined) {
    report.at = o.at;
  }
  if (o.restarts !== undefined) {
    report.restarts = o.restarts;
  }
  if (node) {
    report.nodeId = node.id;
    report.nodeName = node.name;
    if (node.publicIp !== undefined) {
      report.publicIp = node.publicIp;
    }
  }
  return report;
}
