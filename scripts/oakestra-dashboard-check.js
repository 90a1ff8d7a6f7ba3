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
/* global document, location -- read inside the browser page (page.evaluate / waitForFunction) */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const puppeteer = require('puppeteer-core');
const { serveDashboard, ui } = require('./lib/dashboard-browser');

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

/** The user's path through the dashboard, one step per screen state it must reach. */
async function flow(page, u, step, { dashboard, user, password, image, names, deadline }) {
  const { app, service } = names;
  /** Leaves the service list and comes back (a user refreshing it), with `app` picked. */
  const reopenServices = async () => {
    await u.click('Application Dashboard');
    await u.waitText('Add Application');
    await u.click('Service Dashboard');
    await u.waitText('Service List');
    await pickApplication();
  };
  const pickApplication = async () => {
    const shown = () => page.evaluate(() => document.querySelector('nb-select button')?.innerText.trim());
    if ((await shown()) !== app) {
      await page.evaluate(() => document.querySelector('nb-select button')?.click());
      await u.click(app);
    }
    await page.waitForFunction(
      (a) => document.querySelector('nb-select button')?.innerText.trim() === a,
      { timeout: 15_000 },
      app,
    );
  };
  /**
   * Every refresh of the list draws the services anew, closed: wait until the dashboard's requests
   * are answered, then open the service's entry (its header toggles it) until its body shows.
   */
  const openService = async () => {
    const end = Date.now() + 20_000;
    for (;;) {
      await page.waitForNetworkIdle({ idleTime: 300, timeout: 5_000 }).catch(() => undefined);
      const open = () =>
        page.evaluate(() => /Instance \d|No instances of this service\./.test(document.body.innerText));
      if (!(await open())) {
        await u.clickText(service);
      }
      const shown = await page
        .waitForFunction(() => /Instance \d|No instances of this service\./.test(document.body.innerText), {
          timeout: 2_000,
        })
        .then(
          () => true,
          () => false,
        );
      if (shown) {
        return;
      }
      if (Date.now() > end) {
        throw new Error(`the entry of ${service} did not open`);
      }
    }
  };
  /** Opens the service's entry and does `act` there, again if a refresh closed the entry under it. */
  const onOpenService = async (act) => {
    for (let attempt = 1; ; attempt += 1) {
      await openService();
      try {
        return await act();
      } catch (error) {
        if (attempt === 5) {
          throw error;
        }
      }
    }
  };
  /** Opens the constraint's Cluster drop-down until it lists the clusters (it loads them itself) and picks the first. */
  const pickFirstCluster = async () => {
    const end = Date.now() + 15_000;
    for (;;) {
      await page.evaluate(() =>
        [...document.querySelectorAll('nb-select')]
          .find((e) => e.getAttribute('placeholder') === 'Cluster')
          ?.querySelector('button')
          ?.click(),
      );
      const shown = await page
        .waitForFunction(
          () => {
            const names = [...document.querySelectorAll('nb-option')]
              .filter((o) => o.offsetParent !== null)
              .map((o) => o.innerText.trim())
              .filter((t) => !['Container', 'Unikernel', 'Vm'].includes(t));
            return names.length > 0 ? names[0] : undefined;
          },
          { timeout: 2_000 },
        )
        .then(
          (h) => h.jsonValue(),
          () => undefined,
        );
      if (shown !== undefined) {
        await u.click(shown);
        return shown;
      }
      if (Date.now() > end) {
        throw new Error('the Cluster drop-down listed no cluster');
      }
      await page.keyboard.press('Escape');
    }
  };
  /** Refreshes the service list until `check(text of the page)` holds. */
  const untilServices = async (check, what) => {
    const end = Date.now() + deadline;
    for (;;) {
      await reopenServices();
      await openService();
      const body = await u.text();
      if (check(body)) {
        return body;
      }
      if (Date.now() > end) {
        throw new Error(`${what} not shown within ${deadline} ms; the list shows: ${body.slice(0, 400)}`);
      }
    }
  };

  await step('the login page loads', async () => {
    await page.goto(dashboard, { waitUntil: 'domcontentloaded' });
    await u.fieldByName('username');
  });
  await step(`log in as ${user} through the form`, async () => {
    await (await u.fieldByName('username')).type(user);
    await (await u.fieldByName('password')).type(password);
    await u.click('Sign in');
    await page.waitForFunction(() => location.pathname.startsWith('/control'), { timeout: 15_000 });
  });
  await step('the main page lists applications ("Add Application" shown)', () => u.waitText('Add Application'));
  await step(`add application ${app} through the dialog`, async () => {
    await u.click('Add Application');
    await u.fill('Application Name', app);
    await u.fill('Application Namespace', 'test');
    await u.fill('Description', 'made by the dashboard check');
    await u.click('Add');
    await u.waitText(app);
  });
  await step(`the service dashboard shows ${app} with no service`, async () => {
    await u.click('Service Dashboard');
    await u.waitText('Service List');
    await pickApplication();
    await u.waitText('No Service in this application.');
  });
  let cluster = '';
  await step(`create service ${service} (${image}) through the service form`, async () => {
    await u.click('Create new service');
    await u.waitText('Configure Service');
    await u.fill('microservice_name', service);
    await u.fill('microservice_namespace', 'test');
    await u.choose('virtualization', 'Container');
    await u.fill('memory', '64');
    await u.fill('vcpus', '1');
    await u.fill('Code', image);
    await u.fill('description', 'a busybox httpd, made by the dashboard check');
    // a cluster constraint, the cluster picked from the ones the form lists (GET /api/clusters/)
    await u.clickIcon('Constraints:', 'plus');
    await u.click('Cluster Constraints');
    cluster = await pickFirstCluster();
    await u.click(cluster);
    await u.click('Save');
    await u.waitText('Service List');
    await pickApplication();
    await u.waitText(service);
  });
  await step(`deploy ${service} from its menu (cluster ${cluster})`, async () => {
    await onOpenService(async () => {
      const answered = page.waitForResponse(
        (r) => /\/api\/service\/[^/]+\/instance$/.test(r.url()) && r.request().method() === 'POST',
        { timeout: 3_000 },
      );
      await u.clickIcon(service, 'more-vertical-outline', undefined, 3_000);
      await u.click('Deploy', 3_000);
      await answered;
    });
  });
  await step(`the service list shows instance 0 of ${service} RUNNING`, () =>
    untilServices((body) => /Instance 0\s+RUNNING/.test(body), 'RUNNING'),
  );
  await step('the instance details show its status, cluster and node', async () => {
    await onOpenService(async () => {
      await u.clickIcon('Instance 0', 'arrowhead-right-outline', 'View Instance Details', 3_000);
      await u.waitText('Instance Details', true, 3_000);
    });
    await page.waitForFunction(
      () =>
        /Status:\s*RUNNING/.test(document.body.innerText) &&
        /Cluster:\s*\S+/.test(document.body.innerText) &&
        /Node IP:\s*\S+/.test(document.body.innerText),
      { timeout: 20_000 },
    );
  });
  await step(`delete instance 0 of ${service} with its trash button`, async () => {
    await reopenServices();
    await onOpenService(async () => {
      const answered = page.waitForResponse(
        (r) => /\/instance\/0$/.test(r.url()) && r.request().method() === 'DELETE',
        { timeout: 3_000 },
      );
      await u.clickIcon('Instance 0', 'trash-2', 'Delete Instance', 3_000);
      await answered;
    });
    await untilServices((body) => body.includes('No instances of this service.'), 'the instance gone');
  });
  await step(`update ${app}'s description through its settings dialog`, async () => {
    await u.click('Application Dashboard');
    await u.waitText(app);
    await u.clickIcon(app, 'settings');
    await u.waitText('Modify Application');
    await u.fill('Description', 'updated by the dashboard check');
    await u.click('Update');
    await page.waitForResponse((r) => r.url().includes('/api/application/') && r.request().method() === 'PUT', {
      timeout: 15_000,
    });
    // the dialog, opened again, shows the description the root now holds
    await u.waitText('Modify Application', false);
    await u.clickIcon(app, 'settings');
    await page.waitForFunction(
      () => [...document.querySelectorAll('textarea')].some((t) => t.value === 'updated by the dashboard check'),
      { timeout: 15_000 },
    );
    await u.click('Cancel');
  });
  await step(`delete ${app} through its settings dialog`, async () => {
    await u.waitText('Modify Application', false);
    await u.clickIcon(app, 'settings');
    await u.click('Delete');
    await page.waitForResponse((r) => r.url().includes('/api/application/') && r.request().method() === 'DELETE', {
      timeout: 15_000,
    });
    await page.waitForFunction(
      (a) => ![...document.querySelectorAll('nb-list-item')].some((e) => e.innerText.includes(a)),
      { timeout: 15_000 },
      app,
    );
  });
  await step(`the users page lists ${user} with its roles and registration time`, async () => {
    await u.click('Users');
    await u.waitText('User Management');
    await page.waitForFunction(
      (name) =>
        [...document.querySelectorAll('tr')].some((r) => {
          const cells = [...r.querySelectorAll('td')].map((c) => c.innerText.trim());
          return cells[0] === name && cells[1] !== '' && cells[2] !== '';
        }),
      { timeout: 15_000 },
      user,
    );
  });
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
