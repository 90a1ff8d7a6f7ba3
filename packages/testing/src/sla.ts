import { TEST_IMAGE } from './instance-spec';

/**
 * One SLA v2.0 microservice of the test image, named `web` in namespace `ns`, 16 MB; `fields`
 * adds or overrides what a test is about (command, port, replicas, another name…).
 */
export function testMicroservice(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    microservice_name: 'web',
    microservice_namespace: 'ns',
    virtualization: 'container',
    code: TEST_IMAGE,
    memory: 16,
    ...fields,
  };
}

/**
 * An SLA v2.0 descriptor with one application `name` (namespace `ns`) holding `microservices`
 * (by default one {@link testMicroservice}); `options` sets the customer and an application id.
 */
export function testSla(
  name: string,
  microservices: unknown[] = [testMicroservice()],
  options: { customerID?: string; applicationID?: string } = {},
): { sla_version: string; customerID: string; applications: Record<string, unknown>[] } {
  return {
    sla_version: 'v2.0',
    customerID: options.customerID ?? 'c',
    applications: [
      {
        applicationID: options.applicationID ?? '',
        application_name: name,
        application_namespace: 'ns',
        application_desc: '',
        microservices,
      },
    ],
  };
}
