#!/usr/bin/env node
/**
 * bench/aeros-deploy: time from the LLO API's `POST /v1/service-components` (an aerOS
 * ServiceComponentDocker in YAML) to the component `Running` seen at `GET /v1/service-components/<name>`,
 * beside a raw baseline in the same run: dockerode create + start of the same container (image,
 * args, env, published port). Harness: bench/lib/deploy-bench.js.
 *
 *   pnpm build && node bench/aeros-deploy.js            (BENCH_RUNS=20 by default)
 */
'use strict';
const { IMAGE, main } = require('./lib/deploy-bench');

const cr = (name, nodeName) => `apiVersion: llo.aeros-project.eu/v1alpha1
kind: ServiceComponentDocker
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/part-of: Service_bench
spec:
  selectedIE:
    id: urn:ngsi-ld:InfrastructureElement:bench:${nodeName}
    hostname: ${nodeName}
  image: ${IMAGE}
  exposePorts: false
  ports:
    - number: 80
      protocol: TCP
  cliArgs:
    - key: httpd
    - key: -f
    - key: -p
      value: "80"
    - key: -h
      value: /www
  envVars:
    - key: GREETING
      value: hello
`;

main({
  name: 'aeros-deploy',
  title: `aerOS CR deploy latency, image ${IMAGE}, args, env, one published port`,
  canopyLabel: 'canopy CR POST→Running at LLO API',
  rawContainer: {
    Image: IMAGE,
    Cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
    Env: ['GREETING=hello'],
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } },
  },
  setup: async () => undefined,
  async deploy({ call, nodeName }, _state, run) {
    const name = `bench-${run + 1}`;
    const created = await call('POST', '/v1/service-components', cr(name, nodeName), 'application/yaml');
    if (created.status !== 201) {
      throw new Error(`POST answered ${created.status}: ${JSON.stringify(created.body)}`);
    }
    return { name, serviceId: undefined };
  },
  async isRunning({ call }, handle) {
    const got = (await call('GET', `/v1/service-components/${handle.name}?type=docker`)).body;
    handle.serviceId = got.status.serviceId;
    if (got.status.serviceComponentStatus === 'Failed') {
      throw new Error(`component ${handle.name} failed: ${got.status.detail}`);
    }
    return got.status.serviceComponentStatus === 'Running';
  },
  async remove({ call }, handle) {
    await call('DELETE', `/v1/service-components/${handle.name}?type=docker`);
    return handle.serviceId;
  },
});
