#!/usr/bin/env node
// Drives Oakestra's own prebuilt web dashboard (oakestra/dashboard, its `dist/oakestra-dashboard`,
// unmodified) against a running Canopy root in headless Chromium: serves the dashboard from another
// origin, logs in through the login form, opens "Add Application", fills and submits it, and checks
// that the new application is listed. Prints every API call the dashboard made with its status;
// exits 1 on a failed step or an API answer >= 400. The application it made is deleted at the end.
//
//   node scripts/oakestra-dashboard-check.js --dist <dashboard>/dist/oakestra-dashboard \
//     --root http://127.0.0.1:10000 --user Admin --password "$CANOPY_ADMIN_PASSWORD"
'use strict';
/* global document, location -- read inside the browser page (page.evaluate / waitForFunction) */
const { createReadStream, existsSync, statSync } = require('node:fs');
const { createServer } = require('node:http');
const { extname, join, resolve } = require('node:path');
const puppeteer = require('puppeteer-core');

function args() {
  const out = { root: 'http://127.0.0.1:10000', user: 'Admin', password: process.env.CANOPY_ADMIN_PASSWORD };
  out.chromium = '/usr/bin/chromium';
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!['dist', 'root', 'user', 'password', 'chromium'].includes(key) || argv[i + 1] === undefined) {
      throw new Error(`unknown or empty option ${argv[i]}: use --dist, --root, --user, --password, --chromium`);
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

const TYPES = { '.js': 'application/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml' };

/** The dashboard's files, with `assets/env.js` naming the root (what its container writes from API_ADDRESS). */
function serveDashboard(dist, apiAddress) {
  const base = resolve(dist);
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (path === '/assets/env.js') {
      res.writeHead(200, { 'content-type': TYPES['.js'] });
      res.end(`window.env = { apiIP: ${JSON.stringify(apiAddress)} };`);
      return;
    }
    let file = resolve(base, `.${path}`);
    if (!file.startsWith(base) || !existsSync(file) || statSync(file).isDirectory()) {
      file = join(base, 'index.html'); // the single-page app's routes
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function main() {
  const opts = args();
  const root = new URL(opts.root);
  const server = await serveDashboard(opts.dist, root.host);
  // localhost vs the root's address: another origin for the browser, as a deployed dashboard is.
  const dashboard = `http://localhost:${server.address().port}/`;
  const browser = await puppeteer.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox'] });
  const calls = [];
  const failures = [];
  const appName = `dash${Date.now() % 1_000_000}`;
  try {
    const page = await browser.newPage();
    page.on('response', (r) => {
      if (r.url().startsWith(root.origin) && r.request().method() !== 'OPTIONS') {
        calls.push(`${r.request().method()} ${r.url().slice(root.origin.length)} -> ${r.status()}`);
        if (r.status() >= 400) {
          failures.push(`${r.request().method()} ${r.url()} answered ${r.status()}`);
        }
      }
    });
    page.on('requestfailed', (r) => {
      if (r.url().startsWith(root.origin)) {
        failures.push(`${r.request().method()} ${r.url()} failed: ${r.failure()?.errorText}`);
      }
    });
    const step = async (what, fn) => {
      const ok = await fn().catch((err) => {
        failures.push(`${what}: ${err.message}`);
        return false;
      });
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
      if (!ok) {
        throw new Error(what);
      }
    };
    const fieldByName = (name) =>
      page.waitForFunction(
        (n) =>
          [...document.querySelectorAll('input, textarea')].find(
            (e) => (e.id || e.getAttribute('formcontrolname') || e.placeholder) === n,
          ),
        { timeout: 15_000 },
        name,
      );
    const clickText = (text) =>
      page.evaluate((t) => {
        const el = [...document.querySelectorAll('button, a, span, div')].find(
          (e) => (e.childElementCount === 0 || e.tagName === 'BUTTON') && e.textContent.trim() === t,
        );
        el?.click();
        return el !== undefined;
      }, text);

    await step('the login page loads', async () => {
      await page.goto(dashboard, { waitUntil: 'domcontentloaded' });
      await fieldByName('username');
      return true;
    });
    await step(`log in as ${opts.user} through the form`, async () => {
      await (await fieldByName('username')).type(opts.user);
      await (await fieldByName('password')).type(opts.password);
      await clickText('Sign in');
      await page.waitForFunction(() => location.pathname.startsWith('/control'), { timeout: 15_000 });
      return true;
    });
    await step('the main page lists applications ("Add Application" shown)', async () => {
      await page.waitForFunction(() => document.body.innerText.includes('Add Application'), { timeout: 15_000 });
      return true;
    });
    await step(`add application ${appName} through the dialog`, async () => {
      await clickText('Add Application');
      await (await fieldByName('Application Name')).type(appName);
      await (await fieldByName('Application Namespace')).type('test');
      await (await fieldByName('Description')).type('made by the dashboard check');
      await clickText('Add');
      await page.waitForFunction((n) => document.body.innerText.includes(n), { timeout: 15_000 }, appName);
      return true;
    });
  } catch {
    // reported below
  } finally {
    await browser.close();
    server.close();
  }
  console.log('\nAPI calls the dashboard made:');
  for (const c of calls) {
    console.log(`  ${c}`);
  }
  await cleanup(opts, appName).catch((err) => console.error(`cleanup failed: ${err.message}`));
  if (failures.length > 0) {
    console.error(`\n${failures.length} problem(s):\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

/** Deletes the application the check made, through Canopy's API. */
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
    await fetch(`${opts.root}/api/application/${a.applicationID}`, { method: 'DELETE', headers });
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
