'use strict';
/**
 * autocannon `setupRequest` for `POST /api/application` in bench/api-load.js. A file of its own
 * because autocannon's worker threads `require` it: a function cannot be passed to a worker.
 * Every request carries a new application name (a repeated one would be a 409 and measure nothing).
 */
const { threadId } = require('node:worker_threads');
const { benchSla } = require('./lib/sla');

let n = 0;
const prefix = `w${threadId}t${Date.now().toString(36)}`;

function sla(name) {
  return JSON.stringify(benchSla(name, 'api-load', { memory: 64, vcpus: 1 }));
}

module.exports = (req) => ({ ...req, body: sla(`${prefix}n${n++}`) });
module.exports.sla = sla;
