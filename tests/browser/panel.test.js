'use strict';
// The staff workspace (/panel/) on `agora serve`, in headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/panel.test.js
//
// A copy of the Kraków site lists two office addresses under `panel:
// office:`; `agora serve --no-watch` runs on it (SQLite, the outbox in
// .agora/outbox/). With the keyboard alone (Tab, Enter, Space; no mouse),
// once with JavaScript and once without: office asks for a link, opens it
// from the outbox e-mail and signs in with the link page's button, sees
// the forms on the dashboard, adds an ambassador (after a mistake), reads
// the log; the ambassador signs in and is refused the accounts page; office
// signs out and /panel/ asks to sign in again. axe-core checks every page
// and state of the workspace. Screenshots of the dashboard and the accounts
// page go to target/screenshots/.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { assertAxeClean, launchBrowser, startAgoraServe, withAgoraBin } = require('./lib');
const {
  DESKTOP, PHONE, atBothWidths, focusIs, openWindow, pressAndWait, signInLink, siteWithOffice, tabTo,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';

// Each run has its own people: the server counts sign-in links per address.
const RUNS = [
  {
    name: 'with JavaScript',
    javascript: true,
    office: 'biuro@example.pl',
    ambassador: 'ambasadorka@example.pl',
    // The pages carry no script, so one run checks them all.
    axe: true,
    screenshots: true,
  },
  {
    name: 'without JavaScript',
    javascript: false,
    office: 'sekretariat@example.pl',
    ambassador: 'ambasador@example.pl',
    axe: false,
    screenshots: false,
  },
];

// ---------------------------------------------------------------------------
// agora serve on a copy of the site whose office may sign in

function copySite() {
  return siteWithOffice('agora-panel-', RUNS.map((run) => run.office));
}

// ---------------------------------------------------------------------------
// A person at a browser: a private window (own cookies) and the keyboard

class Person {
  static async open(browser, origin, javascript, viewport = DESKTOP) {
    const { context, page, errors } = await openWindow(browser, javascript, viewport);
    const person = new Person(context, page, origin, errors);
    await page.setRequestInterception(true);
    page.on('request', (request) => person.allowOnlyOurs(request));
    await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
    return person;
  }

  constructor(context, page, origin, errors) {
    this.context = context;
    this.page = page;
    this.origin = origin;
    this.errors = errors;
    this.offSite = [];
  }

  allowOnlyOurs(request) {
    if (request.url().startsWith(`${this.origin}/`) || request.url().startsWith('data:')) {
      request.continue();
    } else {
      this.offSite.push(request.url());
      request.abort('blockedbyclient');
    }
  }

  // Opens an address (typed, or a link in the e-mail): its status, and
  // the path it ended on after any redirect.
  async visit(url, status = 200) {
    const response = await this.page.goto(url.startsWith('http') ? url : this.origin + url, { waitUntil: 'load' });
    assert.equal(response.status(), status, `${url} answered ${response.status()}, not ${status}`);
    return this.path();
  }

  path() {
    const url = new URL(this.page.url());
    return url.pathname + url.search;
  }

  // Presses Tab until focus is on `selector`, from where it is: the top
  // of a page just opened, or what the page focused itself.
  tabTo(selector) {
    return tabTo(this.page, selector);
  }

  // Goes to a page of the workspace's menu, from the dashboard.
  async followMenu(href) {
    await this.visit('/panel/');
    await this.tabTo(`nav a[href="${href}"]`);
    assert.equal(await this.pressAndWait('Enter'), 200, `the menu's ${href}`);
  }

  async typeInto(selector, text) {
    await this.tabTo(selector);
    await this.page.keyboard.type(text);
  }

  // Presses a key on what has focus and waits for the page it leads to;
  // the status of that page.
  pressAndWait(key) {
    return pressAndWait(this.page, key);
  }

  h1() {
    return this.page.$eval('h1', (h) => h.textContent.trim());
  }

  // Whether the focused element matches `selector`.
  focusIs(selector) {
    return focusIs(this.page, selector);
  }

  mainText() {
    return this.page.$eval('main', (m) => m.innerText);
  }

  // What a page must be, whatever it shows: Polish, one h1, nothing loaded
  // from elsewhere, no script errors.
  async assertSound(where) {
    assert.equal(await this.page.$eval('html', (h) => h.getAttribute('lang')), 'pl', `${where}: lang`);
    assert.equal((await this.page.$$('h1')).length, 1, `${where}: not exactly one <h1>`);
    assert.deepEqual(this.offSite, [], `${where}: requests left the server`);
    assert.deepEqual(this.errors, [], `${where}: script errors`);
  }

  async close() {
    await this.context.close();
  }
}

// ---------------------------------------------------------------------------
// The steps of the journeys

// From the sign-in page to the "check your mailbox" page; `check` runs
// on each page on the way (axe-core).
async function askForLink(person, address, check) {
  assert.equal(await person.visit('/panel/'), '/panel/logowanie', 'without a session /panel/ leads to signing in');
  assert.equal(await person.h1(), 'Logowanie');
  await check('the sign-in page');
  await person.typeInto('#email', address);
  assert.equal(await person.pressAndWait('Enter'), 200, 'asking for a link');
  assert.equal(await person.h1(), 'Sprawdź skrzynkę');
  await check('"check your mailbox"');
}

// Opens a sign-in link and presses the page's button with `key`: the
// status of the page that follows.
async function useLink(person, link, key, check = async () => {}) {
  await person.visit(link);
  assert.equal(await person.h1(), 'Logowanie do panelu');
  await check('the link page');
  await person.tabTo('main button[type="submit"]');
  return person.pressAndWait(key);
}

async function signIn(person, root, address, check) {
  await askForLink(person, address, check);
  const link = signInLink(root, address);
  assert.equal(await useLink(person, link, 'Enter', check), 200, 'signing in with the link');
  assert.equal(person.path(), '/panel/', 'signed in, the dashboard');
  assert.equal(await person.h1(), 'Pulpit');
  return link;
}

// Fills the add-account form with keys alone and sends it: the status.
async function addAccount(person, { email, area }) {
  await person.typeInto('#new-email', email);
  await person.tabTo('#new-role');
  // A closed select changes with the arrow keys: "Ambasador" follows "Weryfikator".
  await person.page.keyboard.press('ArrowDown');
  assert.equal(await person.page.$eval('#new-role', (s) => s.value), 'ambassador', 'the role chosen with ArrowDown');
  await person.tabTo('#new-area');
  if (area) await person.page.keyboard.type(area);
  await person.tabTo('main form button[type="submit"]');
  return person.pressAndWait('Space');
}

// ---------------------------------------------------------------------------

withAgoraBin(AGORA_BIN, 'staff workspace in Chromium', defineJourneys);

function defineJourneys() {
  describe('the staff workspace on agora serve', { timeout: 120_000 }, () => {
    let chromium;
    let root;
    let serve;

    before(async () => {
      root = copySite();
      serve = await startAgoraServe(AGORA_BIN, root, ['--no-watch']);
      chromium = await launchBrowser();
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    for (const run of RUNS) defineRun(run);

    function defineRun(run) {
      describe(`with the keyboard alone, ${run.name}`, () => {
        let office;
        let officeLink;
        let ambassador;

        // axe-core on the page the person sees, in runs that check.
        const checker = (person) => async (where) => {
          await person.assertSound(where);
          if (run.axe) await assertAxeClean(person.page, `${where} (${person.path()})`);
        };

        before(async () => {
          office = await Person.open(chromium.browser, serve.origin, run.javascript);
          ambassador = await Person.open(chromium.browser, serve.origin, run.javascript);
        });

        after(async () => {
          if (office) await office.close();
          if (ambassador) await ambassador.close();
        });

        test('an address the server cannot use is refused with 422 and kept', async () => {
          await office.visit('/panel/logowanie');
          // The browser's own check lets a one-label domain through; ours does not.
          await office.typeInto('#email', 'jan@example');
          assert.equal(await office.pressAndWait('Enter'), 422);
          const field = await office.page.$eval('#email', (input) => ({
            value: input.value,
            invalid: input.getAttribute('aria-invalid'),
            describedBy: input.getAttribute('aria-describedby'),
          }));
          assert.deepEqual(field, { value: 'jan@example', invalid: 'true', describedBy: 'email-error' });
          assert.ok(await office.focusIs('#email'), 'the field with the message has focus');
          assert.ok((await office.page.$eval('#email-error', (p) => p.textContent.trim())).length > 0, 'the message is empty');
          await checker(office)('the sign-in page with an invalid address');
        });

        test('office signs in with the e-mailed link and sees the forms', async () => {
          officeLink = await signIn(office, root, run.office, checker(office));
          const caption = await office.page.$eval('main table caption', (c) => c.textContent.trim());
          assert.equal(caption, 'Formularze i zgłoszenia');
          const forms = await office.page.$$eval('main table tbody tr', (rows) => rows.length);
          assert.ok(forms >= 4, `the dashboard lists ${forms} forms`);
          await checker(office)('the dashboard (office)');
          if (run.screenshots) await atBothWidths(office.context, serve.origin, '/panel/', 'panel-pulpit');
        });

        test('the used link is refused with 410', async () => {
          assert.equal(await useLink(office, officeLink, 'Space'), 410);
          assert.equal(await office.h1(), 'Ten link już nie działa');
          await checker(office)('the used link');
        });

        test('office adds an ambassador, after forgetting the area', async () => {
          await office.followMenu('/panel/konta');
          assert.equal(await office.h1(), 'Konta');
          const current = await office.page.$eval('nav a[aria-current="page"]', (a) => a.getAttribute('href'));
          assert.equal(current, '/panel/konta', 'the menu marks the page');
          await checker(office)('the accounts page');

          assert.equal(await addAccount(office, { email: run.ambassador }), 422, 'an ambassador without an area');
          assert.match(await office.page.$eval('main .error-summary', (e) => e.textContent), /obszar/i);
          assert.ok(await office.focusIs('main .error-summary'), 'the message has focus');
          await checker(office)('the accounts page with an error');

          assert.equal(await addAccount(office, { email: run.ambassador, area: 'XIII' }), 200);
          assert.equal(office.path(), '/panel/konta');
          const row = await office.page.$$eval('main tbody tr', (rows, email) => rows
            .map((r) => r.innerText)
            .find((text) => text.includes(email)), run.ambassador);
          assert.ok(row && /Ambasador/.test(row) && /XIII/.test(row), `no ambassador row for ${run.ambassador}: ${row}`);
          if (run.screenshots) await atBothWidths(office.context, serve.origin, '/panel/konta', 'panel-konta');
        });

        test('the ambassador signs in and is refused the accounts page with 403', async () => {
          await signIn(ambassador, root, run.ambassador, async () => {});
          assert.match(await ambassador.mainText(), /Osoby, które dołączyły do procesu w Twoim obszarze/);
          assert.equal(await ambassador.page.$('nav a[href="/panel/konta"]'), null, 'no office menu');
          await checker(ambassador)('the dashboard (ambassador)');
          await ambassador.visit('/panel/konta', 403);
          assert.equal(await ambassador.h1(), 'Brak dostępu');
          await checker(ambassador)('the 403 page');
        });

        test('office reads the audit log', async () => {
          await office.followMenu('/panel/dziennik');
          assert.equal(await office.h1(), 'Dziennik zdarzeń');
          const log = await office.mainText();
          assert.match(log, /dodanie konta/);
          assert.ok(log.includes(run.office), `the log names ${run.office}`);
          await checker(office)('the audit log');
        });

        test('office signs out; /panel/ leads to signing in again', async () => {
          await office.tabTo('header button[type="submit"]');
          const label = await office.page.evaluate(() => document.activeElement.textContent.trim());
          assert.equal(label, 'Wyloguj');
          assert.equal(await office.pressAndWait('Space'), 200);
          assert.equal(office.path(), '/panel/logowanie?wylogowano');
          assert.match(await office.mainText(), /Wylogowano\./);
          await checker(office)('the sign-in page after signing out');
          assert.equal(await office.visit('/panel/'), '/panel/logowanie');
          assert.equal(await office.h1(), 'Logowanie');
        });
      });
    }
  });
}
