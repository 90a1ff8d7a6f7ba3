/**
 * What a hollow node (bench/lib/hollow-worker.js) does with the cluster's commands: deploy, delete
 * and sync as if the container started at once, and `pace` as the engine's ReportPacer does.
 */
'use strict';

/** A JobStatusMessage (`job`) or, without the Oakestra names, an InstanceUsageDto (`jobs/resources`). */
function statusOf(node, r, withNames) {
  return {
    ...(withNames ? { sname: r.jobName, instance: r.instanceNumber } : { cpuPercent: 1.5, memoryMb: 12 }),
    serviceId: r.serviceId,
    instanceNumber: r.instanceNumber,
    generation: r.generation,
    status: r.status,
    nodeId: node.id,
    nodeName: node.name,
    containerId: r.containerId,
    hostPorts: r.hostPorts,
    at: r.at,
    ...(r.epoch === undefined ? {} : { epoch: r.epoch }),
  };
}

function command(node, kind, payload, publish) {
  let body;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return;
  }
  const run = (spec) => {
    const r = {
      serviceId: spec.serviceId,
      instanceNumber: spec.instanceNumber,
      generation: spec.generation,
      jobName: spec.jobName,
      status: 'RUNNING',
      containerId: `${spec.serviceId}${spec.instanceNumber}`.padEnd(64, 'c').slice(0, 64),
      hostPorts: [],
      at: Date.now(),
      ...(spec.epoch === undefined ? {} : { epoch: spec.epoch }),
    };
    node.instances.set(`${spec.serviceId}#${spec.instanceNumber}`, r);
    publish('job', statusOf(node, r, true), 1);
  };
  if (kind === 'deploy') {
    run(body);
  } else if (kind === 'delete') {
    const key = `${body.serviceId}#${body.instanceNumber}`;
    const r = node.instances.get(key) ?? { ...body, jobName: body.serviceId, hostPorts: [] };
    node.instances.delete(key);
    publish('job', statusOf(node, { ...r, status: 'UNDEPLOYED', at: Date.now() }, true), 1);
  } else if (kind === 'pace' && Number.isInteger(body.reportIntervalMs) && body.reportIntervalMs !== node.intervalMs) {
    // As the engine's ReportPacer: the new interval from a random point of its first.
    node.paced = (node.paced ?? 0) + 1;
    node.intervalMs = body.reportIntervalMs;
    clearInterval(node.timer);
    clearTimeout(node.paceTimer);
    node.paceTimer = setTimeout(
      () => {
        node.report();
        node.timer = setInterval(node.report, node.intervalMs);
      },
      Math.floor(Math.random() * node.intervalMs),
    );
  } else if (kind === 'sync' && Array.isArray(body.instances)) {
    const wanted = new Set(body.instances.map((s) => `${s.serviceId}#${s.instanceNumber}`));
    for (const [key] of node.instances) {
      if (!key.startsWith('hollow-svc-') && !wanted.has(key)) {
        node.instances.delete(key);
      }
    }
    for (const spec of body.instances) {
      const have = node.instances.get(`${spec.serviceId}#${spec.instanceNumber}`);
      if (have === undefined || have.generation !== spec.generation) {
        run(spec);
      }
    }
  }
}

module.exports = { command, statusOf };
