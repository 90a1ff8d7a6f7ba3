/**
 * The tiers as separate processes, for benches that inject faults (kill -9, SIGSTOP): each tier's
 * built `dist/main.js` with its own environment and log file, stopped by pid. The JavaScript twin of
 * test/support/processes.ts (benches run without a TypeScript loader).
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { createWriteStream, mkdirSync } = require('node:fs');
const { createServer } = require('node:net');
const { join, resolve } = require('node:path');

const REPO = resolve(__dirname, '../..');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });

/** Starts `packages/<tier>/dist/main.js`; returns {name, child, logFile, exited}. */
function startTier(tier, name, env, logDir) {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [join(REPO, 'packages', tier, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise((res) => child.once('exit', (code) => res(code)));
  return { name, child, logFile, exited };
}

/** SIGTERM, then SIGKILL after a grace period. */
async function stopTier(p, graceMs = 5000) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) {
    return;
  }
  p.child.kill('SIGCONT');
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** Polls `probe` until it returns something other than undefined. */
async function waitFor(what, probe, timeoutMs = 30_000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function containersWithLabel(label) {
  return execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=${label}`], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '');
}

function removeContainersWithLabel(label) {
  const ids = containersWithLabel(label);
  if (ids.length > 0) {
    execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
}

function ensureTestImage() {
  execFileSync('bash', [join(REPO, 'scripts/build-test-image.sh')], { stdio: 'ignore' });
}

module.exports = {
  REPO,
  sleep,
  freePort,
  startTier,
  stopTier,
  waitFor,
  containersWithLabel,
  removeContainersWithLabel,
  ensureTestImage,
};
