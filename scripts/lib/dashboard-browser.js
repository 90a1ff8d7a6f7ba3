// Serving a prebuilt Oakestra dashboard from its own origin, and the few ways a person uses its
// page (type into a field, click a labelled button or menu entry, pick from a drop-down, read the
// screen), for scripts/oakestra-dashboard-check.js. Nothing here knows the dashboard's code: it
// finds elements by what is shown (text, placeholders, icon names), as a user would.
'use strict';
/* global document -- read inside the browser page (page.evaluate / waitForFunction) */
const { createReadStream, existsSync, statSync } = require('node:fs');
const { createServer } = require('node:http');
const { extname, join, resolve } = require('node:path');

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

/** What a user does on the page; every wait gives up after `timeout` ms. */
function ui(page, timeout = 15_000) {
  const fieldByName = (name) =>
    page.waitForFunction(
      (n) =>
        [...document.querySelectorAll('input, textarea')].find(
          (e) => e.offsetParent !== null && (e.id || e.getAttribute('formcontrolname') || e.placeholder) === n,
        ),
      { timeout },
      name,
    );
  /**
   * Replaces a field's text, as select-all and typing would. Focused, not clicked: a click lands
   * on whatever is at the field's spot while a dialog is still sliding in.
   */
  const fill = async (name, text) => {
    const field = await fieldByName(name);
    await field.evaluate((e) => {
      e.focus();
      e.select();
    });
    await page.keyboard.press('Backspace');
    await field.type(text);
  };
  /** Clicks the visible leaf element (or button) whose text is exactly `text`; false if none. */
  const clickText = (text) =>
    page.evaluate((t) => {
      const el = [...document.querySelectorAll('button, a, span, div, p, nb-option')].find(
        (e) =>
          e.offsetParent !== null &&
          (e.childElementCount === 0 || e.tagName === 'BUTTON' || e.tagName === 'NB-OPTION') &&
          e.textContent.trim() === t,
      );
      el?.click();
      return el !== undefined;
    }, text);
  /** Waits until `text` can be clicked, then clicks it. */
  const click = async (text, ms = timeout) => {
    await page.waitForFunction(
      (t) =>
        [...document.querySelectorAll('button, a, span, div, p, nb-option')].some(
          (e) => e.offsetParent !== null && e.textContent.trim() === t,
        ),
      { timeout: ms },
      text,
    );
    if (!(await clickText(text))) {
      throw new Error(`nothing to click labelled "${text}"`);
    }
  };
  const waitText = (text, present = true, ms = timeout) =>
    page.waitForFunction((t, p) => document.body.innerText.includes(t) === p, { timeout: ms }, text, present);
  /** Opens the drop-down whose placeholder or form control is `name` and picks `option`. */
  const choose = async (name, option) => {
    await page.waitForFunction(
      (n) => {
        const s = [...document.querySelectorAll('nb-select')].find(
          (e) => e.getAttribute('formcontrolname') === n || e.getAttribute('placeholder') === n,
        );
        s?.querySelector('button')?.click();
        return s !== undefined;
      },
      { timeout },
      name,
    );
    await click(option);
  };
  /**
   * Clicks the button showing icon `icon` (and, if given, tooltip `tooltip`) inside the element
   * that contains `within`'s text most closely (a list row, an accordion item).
   */
  const clickIcon = (within, icon, tooltip, ms = timeout) =>
    page.waitForFunction(
      (w, i, t) => {
        const buttons = [...document.querySelectorAll('button')].filter(
          (b) =>
            b.offsetParent !== null &&
            b.querySelector(`nb-icon[icon="${i}"]`) !== null &&
            (t === undefined || b.getAttribute('nbtooltip') === t),
        );
        // the button whose nearest ancestor holding `within` is smallest: that row's own button
        let best;
        let bestSize = Infinity;
        for (const b of buttons) {
          for (let a = b.parentElement; a !== null; a = a.parentElement) {
            if (a.innerText.includes(w)) {
              if (a.innerText.length < bestSize) {
                best = b;
                bestSize = a.innerText.length;
              }
              break;
            }
          }
        }
        best?.click();
        return best !== undefined;
      },
      { timeout: ms },
      within,
      icon,
      tooltip,
    );
  const text = () => page.evaluate(() => document.body.innerText);
  return { fieldByName, fill, click, clickText, waitText, choose, clickIcon, text };
}

module.exports = { serveDashboard, ui };
