import { randomUUID } from 'node:crypto';
import { jobName, type SlaMicroservice } from '@canopy/schema';
import type { NewDoc, ServiceRecord } from '../persistence/records';

/**
 * A new service record for one microservice of a validated SLA. A descriptor that states
 * `replicas` asks for that many at once; without it the service waits for its first
 * `POST /api/service/<id>/instance`, as in Oakestra.
 */
export function newServiceRecord(
  ownerId: string,
  app: { id: string; application_name: string; application_namespace: string },
  ms: SlaMicroservice,
): NewDoc<ServiceRecord> {
  return {
    id: randomUUID(),
    ownerId,
    applicationId: app.id,
    jobName: jobName(app.application_name, app.application_namespace, ms.microservice_name, ms.microservice_namespace),
    sla: { ...ms, microserviceID: '' },
    generation: 1,
    replicas: ms.replicas ?? 1,
    scheduled: ms.replicas !== undefined,
    nextInstance: 0,
  };
}
