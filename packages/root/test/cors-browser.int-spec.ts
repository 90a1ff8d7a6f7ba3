import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser } from 'puppeteer-core';
import { startHttpRoot, type TestRoot } from './support/http-root';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Issue 11: a real browser (Debian's chromium, headless) on a page served from another origin
 * logs in and lists applications, as Oakestra's dashboard does: the preflight for a JSON body with
 * an Authorization header must pass, or the browser never sends the call.
 */
(existsSync(CHROMIUM) ? describe : describe.skip)('CORS from another origin in a real browser', () => {
  jest.setTimeout(120_000);
  let t: TestRoot;
  let page: Server;
  let pageUrl = '';
  let browser: Browser;
  const preflights: string[] = [];

  beforeAll(async () => {
    t = await startHttpRoot();
    page = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>dashboard</title>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    // localhost vs 127.0.0.1: another origin for the browser, the same machine for the test.
    pageUrl = `http://localhost:${(page.address() as AddressInfo).port}/`;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => page.close(() => resolve()));
    await t.stop();
  });

  it('preflight, login and a list call succeed from the other origin', async () => {
    const tab = await browser.newPage();
    const cdp = await tab.createCDPSession();
    await cdp.send('Network.enable');
    cdp.on('Network.requestWillBeSent', (e: { request: { method: string; url: string } }) => {
      if (e.request.method === 'OPTIONS') preflights.push(e.request.url);
    });
    await tab.goto(pageUrl);
    const result = await tab.evaluate(
      async (api: string, password: string) => {
        const login = await fetch(`${api}/api/auth/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'Admin', password }),
        });
        const { token } = (await login.json()) as { token: string };
        const list = await fetch(`${api}/api/applications/`, {
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        });
        // Runs in the page: `location` is the browser's (no DOM types in this tsconfig).
        const { origin } = (globalThis as unknown as { location: { origin: string } }).location;
        return { origin, login: login.status, list: list.status, body: await list.json() };
      },
      t.root.url,
      t.adminPassword,
    );
    expect(result.origin).not.toBe(new URL(t.root.url).origin);
    expect(result).toMatchObject({ login: 200, list: 200, body: [] });
    // Both calls carry a JSON content type (and the second a bearer token): each needed a preflight.
    expect(preflights.some((u) => u.endsWith('/api/auth/login'))).toBe(true);
    expect(preflights.some((u) => u.endsWith('/api/applications/'))).toBe(true);
  });

  it('with CANOPY_CORS_ORIGINS set, another origin is refused by the browser', async () => {
    const strict = await startHttpRoot({ CANOPY_CORS_ORIGINS: 'https://dashboard.example.org' });
    try {
      const tab = await browser.newPage();
      await tab.goto(pageUrl);
      const outcome = await tab.evaluate(async (api: string) => {
        try {
          await fetch(`${api}/api/auth/login`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ username: 'Admin', password: 'x' }),
          });
          return 'sent';
        } catch {
          return 'blocked';
        }
      }, strict.root.url);
      expect(outcome).toBe('blocked');
    } finally {
      await strict.stop();
    }
  });
});
