// The path a user takes through Oakestra's dashboard for scripts/oakestra-dashboard-check.js: one
// step per screen state that must appear, each found by what the page shows.
'use strict';
/* global document, location -- read inside the browser page (page.evaluate / waitForFunction) */

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

module.exports = { flow };
