'use strict';

/**
 * The SLA descriptor the benches deploy: one application in namespace `bench` with one `web`
 * microservice (httpd from the test image); `microservice` adds to or overrides its fields.
 */
function benchSla(name, description, microservice = {}) {
  return {
    sla_version: 'v2.0',
    customerID: 'Admin',
    applications: [
      {
        applicationID: '',
        application_name: name,
        application_namespace: 'bench',
        application_desc: description,
        microservices: [
          {
            microserviceID: '',
            microservice_name: 'web',
            microservice_namespace: 'bench',
            virtualization: 'container',
            code: 'canopy-test/busybox:latest',
            cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
            ...microservice,
          },
        ],
      },
    ],
  };
}

module.exports = { benchSla };
