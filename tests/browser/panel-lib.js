'use strict';
// What the staff workspace's browser tests share: a copy of the Kraków
// site whose office may sign in, a private window, the keyboard (Tab to an
// element, press a key and wait for the page), signing in through the
// e-mailed link, and the checks of a page at phone and desktop width.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { REPO_ROOT, assertAxeClean, copyKrakowSite, outboxMailsTo } = require('./lib');

const SCREENSHOTS_DIR = path.join(REPO_ROOT, 'target', 'screenshots');
const DESKTOP = { name: '1280x800', width: 1280, height: 800 };
const PHONE = { name: '390x844', width: 390, height: 844, isMobile: true, hasTouch: true };
// The narrowest phone the site's own pages are checked at (lib.js).
const SMALL_PHONE = { name: '375x800', width: 375, height: 800, isMobile: true, hasTouch: true };
const WIDTHS = [DESKTOP, PHONE];
const SIGN_IN_LINK = /http:\/\/\S+\/panel\/logowanie\/link\?token=[A-Za-z0-9_-]+/;

// A copy of the Kraków site (a temporary folder named from `prefix`)
// whose `office` addresses may sign in to the workspace.
function siteWithOffice(prefix, office) {
  const root = copyKrakowSite(prefix);
  const file = path.join(root, 'agora.yaml');
  const text = fs.readFileSync(file, 'utf8');
  const lines = office.map((address) => `    - ${address}\n`).join('');
  const edited = text.replace(/^ {2}office: \[\]\n/m, `  office:\n${lines}`);
  assert.notEqual(edited, text, 'agora.yaml has no "  office: []" line under panel: to fill in');
  fs.writeFileSync(file, edited);
  return root;
}

// The sign-in link of the newest e-mail to `address`.
function signInLink(root, address) {
  const [mail] = outboxMailsTo(root, address);
  assert.ok(mail, `no e-mail to ${address} in ${path.join(root, '.agora', 'outbox')}`);
  const link = mail.match(SIGN_IN_LINK);
  assert.ok(link, `no sign-in link in the e-mail:\n${mail}`);
  return link[0];
}

function setWidth(page, viewport) {
  return page.setViewport({
    width: viewport.width, height: viewport.height, isMobile: !!viewport.isMobile, hasTouch: !!viewport.hasTouch,
  });
}

// A private window (its own cookies) at `viewport`, scripts on or off;
// `errors` collects the page's script errors.
async function openWindow(browser, javascript, viewport = DESKTOP) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  // Generous, as in forms.test.js: a loaded 2-core machine is slow.
  page.setDefaultTimeout(30_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error && error.message ? error.message : error)));
  await page.setJavaScriptEnabled(javascript);
  await setWidth(page, viewport);
  // Chromium applies `autofocus` (the error summary without JavaScript)
  // only in the page in front: a window opened while another test's is
  // still up would not get it.
  await page.bringToFront();
  return { context, page, errors };
}

// Whether the focused element matches `selector`.
function focusIs(page, selector) {
  return page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector);
}

// Presses Tab until focus is on `selector`, from where it is: the top of
// a page just opened, or what the page focused itself.
async function tabTo(page, selector) {
  for (let presses = 0; !(await focusIs(page, selector)); presses += 1) {
    if (presses === 80) assert.fail(`Tab never reached ${selector} on ${page.url()}`);
    await page.keyboard.press('Tab');
  }
}

// Presses a key on what has focus and waits for the page it leads to;
// the status of that page.
async function pressAndWait(page, key) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press(key)]);
  return response.status();
}

// Tabs to `selector` and presses `key` there: the status of the page it
// leads to.
async function pressOn(page, selector, key = 'Enter') {
  await tabTo(page, selector);
  return pressAndWait(page, key);
}

// Signs `address` in with the keyboard: the sign-in page, the link from
// the outbox, the link page's button pressed with `key`.
async function signIn(page, origin, root, address, key = 'Enter') {
  await page.goto(`${origin}/panel/logowanie`, { waitUntil: 'load' });
  await tabTo(page, '#email');
  await page.keyboard.type(address);
  assert.equal(await pressAndWait(page, 'Enter'), 200, 'asking for a link');
  await page.goto(signInLink(root, address), { waitUntil: 'load' });
  await tabTo(page, 'main button[type="submit"]');
  assert.equal(await pressAndWait(page, key), 200, 'signing in');
  assert.equal(new URL(page.url()).pathname, '/panel/', 'signed in, the dashboard');
}

// `pagePath` at phone and desktop width (or at each of `viewports`) in a
// new page of `context`: no sideways scrolling (a wide table scrolls in
// its own box), axe-clean, and a screenshot `<name>-<width>.png` if `name`
// is given.
async function atBothWidths(context, origin, pagePath, name, viewports = [PHONE, DESKTOP]) {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  for (const viewport of viewports) {
    const page = await context.newPage();
    try {
      await setWidth(page, viewport);
      await page.goto(origin + pagePath, { waitUntil: 'load' });
      const [scrollWidth, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(scrollWidth <= width, `${pagePath} at ${viewport.name} is ${scrollWidth}px wide`);
      await assertAxeClean(page, `${pagePath} at ${viewport.name}`);
      if (name) await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}-${viewport.name}.png`), fullPage: true });
    } finally {
      await page.close();
    }
  }
}

// A resident fills form `form` in through the API as a page's script
// does (after the least time a person takes), then confirms with the
// link of the e-mail to `values.email`: the reference.
async function sendAndConfirm(origin, root, form, values) {
  const status = await (await fetch(`${origin}/api/forms/${form}`)).json();
  await new Promise((resolve) => { setTimeout(resolve, 3100); });
  const sent = await fetch(`${origin}/api/forms/${form}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...values, processing: true, started_at: status.started_at }),
  });
  assert.equal(sent.status, 201, await sent.text());
  const [mail] = outboxMailsTo(root, values.email);
  const token = (mail || '').match(/potwierdz\?token=([A-Za-z0-9_-]+)/);
  assert.ok(token, `no confirmation link to ${values.email}:\n${mail}`);
  const confirmed = await fetch(`${origin}/api/forms/${form}/potwierdz`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: token[1] }),
  });
  assert.equal(confirmed.status, 200, `confirming ${values.email}: ${await confirmed.clone().text()}`);
  return (await confirmed.json()).reference;
}

// The page as it is now (a form's error state, after a POST) at phone
// and desktop width (or at each of `viewports`), without loading it again:
// no sideways scrolling, axe-clean, and a screenshot `<name>-<width>.png`
// if `name` is given. The page is left at the last width.
async function stateAtBothWidths(page, label, name, viewports = [PHONE, DESKTOP]) {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // Puppeteer reloads a page whose touch or mobile emulation changes, and
  // a reload would send a POST again: only the size changes here.
  const { isMobile, hasTouch } = page.viewport();
  await page.evaluate((mark) => { window.agoraState = mark; }, label);
  for (const viewport of viewports) {
    await page.setViewport({ width: viewport.width, height: viewport.height, isMobile, hasTouch });
    const [scrollWidth, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scrollWidth <= width, `${label} at ${viewport.name} is ${scrollWidth}px wide`);
    await assertAxeClean(page, `${label} at ${viewport.name}`);
    if (name) await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}-${viewport.name}.png`), fullPage: true });
  }
  assert.equal(await page.evaluate(() => window.agoraState), label, `${label}: the page was not loaded again`);
}

module.exports = {
  DESKTOP,
  PHONE,
  SCREENSHOTS_DIR,
  SMALL_PHONE,
  WIDTHS,
  atBothWidths,
  focusIs,
  openWindow,
  pressAndWait,
  pressOn,
  sendAndConfirm,
  signIn,
  signInLink,
  siteWithOffice,
  stateAtBothWidths,
  tabTo,
};
