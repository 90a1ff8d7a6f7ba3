#!/usr/bin/env node
/**
 * bench/deploy-latency: time from `POST /api/service/<id>/instance` to RUNNING seen at the root,
 * beside a raw baseline measured in the same run: dockerode create + start of the same image with
 * the same options (harness: bench/lib/deploy-bench.js).
 *
 *   pnpm build && node bench/deploy-latency.js            (BENCH_RUNS=20 by default)
 */
'use strict';
const { IMAGE, main } = require('./lib/deploy-bench');

const CMD = ['httpd', '-f', '-p', '80', '-h', '/www'];
const MEMORY_MB = 64;
const VCPUS = 1;
const FAILED = ['FAILED', 'DEAD', 'NO_WORKER_CAPACITY', 'NoActiveClusterWithCapacity', 'missing'];

main({
  name: 'deploy-latency',
  title: `deploy latency, image ${IMAGE}, ${MEMORY_MB} MB, ${VCPUS} vCPU, one published port`,
  canopyLabel: 'canopy POST→RUNNING at root',
  rawContainer: {
    Image: IMAGE,
    Cmd: CMD,
    ExposedPorts: { '80/tcp': {} },
    HostConfig: {
      PortBindings: { '80/tcp': [{ HostPort: '' }] },
      Memory: MEMORY_MB * 1024 * 1024,
      NanoCpus: VCPUS * 1e9,
    },
  },
  async setup({ call }) {
    const microservice = {
      microserviceID: '',
      microservice_name: 'web',
      microservice_namespace: 'bench',
      virtualization: 'container',
      code: IMAGE,
      cmd: CMD,
      memory: MEMORY_MB,
      vcpus: VCPUS,
      port: '80',
    };
    const app = { applicationID: '', application_name: 'bench', application_namespace: 'bench', application_desc: '' };
    const sla = { sla_version: 'v2.0', customerID: 'Admin', applications: [{ ...app, microservices: [microservice] }] };
    return (await call('POST', '/api/application', sla)).body.applications[0].microservices[0];
  },
  async deploy({ call }, serviceId) {
    const deployed = await call('POST', `/api/service/${serviceId}/instance`);
    return { serviceId, n: deployed.body.instance_number };
  },
  async isRunning({ call }, { serviceId, n }) {
    const svc = (await call('GET', `/api/service/${serviceId}`)).body;
    const inst = svc.instance_list.find((x) => x.instance_number === n);
    const status = inst ? inst.status : 'missing';
    if (FAILED.includes(status)) {
      throw new Error(`instance ${n} ended ${status}: ${inst && inst.status_detail}`);
    }
    return status === 'RUNNING';
  },
  async remove({ call }, { serviceId, n }) {
    await call('DELETE', `/api/service/${serviceId}/instance/${n}`);
    return serviceId;
  },
});
