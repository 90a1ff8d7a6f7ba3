#!/usr/bin/env node
// Drives Oakestra's own prebuilt web dashboard (oakestra/dashboard, its `dist/oakestra-dashboard`,
// unmodified) against a running Canopy root in headless Chromium, through its screens only: serves
// the dashboard from another origin, logs in through the login form, adds an application, creates
// a service through the service form (local image, a cluster constraint picked from the clusters
// the form lists), deploys it from the service's menu, waits until the service list shows the
// instance RUNNING, opens the instance's details, deletes the instance, updates the application's
// description, deletes the application and opens the users page. Prints every API call the
// dashboard made with its status; exits 1 on a failed step or an API answer >= 400. Whatever the
// run made is deleted at the end, through Canopy's API, if the dashboard did not delete it.
//
//   node scripts/oakestra-dashboard-check.js --dist <dashboard>/dist/oakestra-dashboard \
//     --root http://127.0.0.1:10000 --user Admin --password "$CANOPY_ADMIN_PASSWORD"
'use strict';
/* global document -- read inside the browser page (page.evaluate) */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const puppeteer = require('puppeteer-core');
const { serveDashboard, ui } = require('./lib/dashboard-browser');
const { flow } = require('./lib/dashboard-flow');

const OPTIONS = ['dist', 'root', 'user', 'password', 'chromium', 'image', 'timeout'];

function args() {
  const out = { root: 'http://127.0.0.1:10000', user: 'Admin', password: process.env.CANOPY_ADMIN_PASSWORD };
  Object.assign(out, { chromium: '/usr/bin/chromium', image: 'canopy-test/busybox:latest', timeout: '120000' });
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!OPTIONS.includes(key) || argv[i + 1] === undefined) {
      throw new Error(`unknown or empty option ${argv[i]}: use ${OPTIONS.map((o) => `--${o}`).join(', ')}`);
    }
    out[key] = argv[i + 1];
  }
  if (!out.dist || !existsSync(join(out.dist, 'index.html'))) {
    throw new Error('--dist must name the dashboard build (the folder with index.html)');
  }
  if (!out.password) {
    throw new Error('--password (or CANOPY_ADMIN_PASSWORD) is needed');
  }
  return out;
}

async function main() {
  const opts = args();
  const root = new URL(opts.root);
  const server = await serveDashboard(opts.dist, root.host);
  // localhost vs the root's address: another origin for the browser, as a deployed dashboard is.
  const dashboard = `http://localhost:${server.address().port}/`;
  const browser = await puppeteer.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox'] });
  const calls = [];
  let cancelled = 0;
  const failures = [];
  const run = Date.now() % 1_000_000;
  const names = { app: `dash${run}`, service: `web${run}` };
  const started = Date.now();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    page.on('response', (r) => {
      if (r.url().startsWith(root.origin) && r.request().method() !== 'OPTIONS') {
        const line = `${r.request().method()} ${r.url().slice(root.origin.length)} -> ${r.status()}`;
        calls.push(line);
        console.log(`       ${line}`);
        if (r.status() >= 400) {
          failures.push(`${r.request().method()} ${r.url()} answered ${r.status()}`);
        }
      }
    });
    page.on('requestfailed', (r) => {
      // ERR_ABORTED: the dashboard itself cancelled a request it no longer needed (a newer one
      // for the same list replaced it), not an answer from the root.
      if (r.failure()?.errorText === 'net::ERR_ABORTED') {
        cancelled += 1;
      } else if (r.url().startsWith(root.origin)) {
        failures.push(`${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`);
      }
    });
    page.on('pageerror', (err) => failures.push(`the page threw: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') {
        console.log(`       console error: ${m.text().slice(0, 300)}`);
      }
    });
    const step = async (what, fn) => {
      const t0 = Date.now();
      const ok = await fn().then(
        () => true,
        async (err) => {
          const screen = await page.evaluate(() => document.body.innerText).catch(() => '');
          failures.push(
            `${what}: ${err.message}\n    the page at ${page.url()} showed: ${screen.replace(/\s+/g, ' ').slice(0, 600)}`,
          );
          if (process.env.DASHBOARD_CHECK_SCREENSHOT) {
            await page.screenshot({ path: process.env.DASHBOARD_CHECK_SCREENSHOT }).catch(() => undefined);
          }
          return false;
        },
      );
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${what} (${Date.now() - t0} ms)`);
      if (!ok) {
        throw new Error(what);
      }
    };
    await flow(page, ui(page), step, { ...opts, dashboard, names, deadline: Number(opts.timeout) });
  } catch {
    // reported below
  } finally {
    await browser.close();
    server.close();
  }
  console.log(
    `\n${calls.length} API calls answered (${cancelled} more cancelled by the dashboard itself), in ${Date.now() - started} ms`,
  );
  await cleanup(opts, names.app).catch((err) => console.error(`cleanup failed: ${err.message}`));
  if (failures.length > 0) {
    console.error(`\n${failures.length} problem(s):\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('the whole flow passed');
}

/** Deletes the application the check made, through Canopy's API, if the dashboard left it. */
async function cleanup(opts, appName) {
  const login = await fetch(`${opts.root}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: opts.user, password: opts.password }),
  });
  if (!login.ok) {
    return; // nothing was made without a login
  }
  const { token } = await login.json();
  const headers = { authorization: `Bearer ${token}` };
  const apps = await (await fetch(`${opts.root}/api/applications`, { headers })).json();
  for (const a of apps.filter((x) => x.application_name === appName)) {
    console.log(`cleanup: deleting application ${appName} the run left`);
    await fetch(`${opts.root}/api/application/${a.applicationID}`, { method: 'DELETE', headers });
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
