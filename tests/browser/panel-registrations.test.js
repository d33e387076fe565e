'use strict';
// A form's registrations in the staff workspace, on `agora serve`, in
// headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/panel-registrations.test.js
//
// A copy of the Kraków site with office addresses under `panel: office:`,
// served `--now` in the recruitment of "Debiuty w partycypacji"; residents
// register through the form's own endpoint (as a browser without
// JavaScript posts it) and confirm with the e-mailed links. Then office,
// with the keyboard alone, once with JavaScript and once without: filters
// and searches the list (a match, then none), opens a registration,
// withdraws it without a reason (refused, 422) and with one. axe-core
// checks the list (filtered, empty), the registration and the refusal;
// screenshots of the list go to target/screenshots/.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { assertAxeClean, launchBrowser, outboxMailsTo, startAgoraServe, withAgoraBin } = require('./lib');
const {
  atBothWidths, focusIs, openWindow, pressAndWait, signIn, siteWithOffice, tabTo,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const FORM = 'debiuty-w-partycypacji';
const LIST = `/panel/formularze/${FORM}`;
const NOW = '2023-04-10 12:00';
// The least fill time of agora serve's forms, and a second to spare.
const FILL_MS = 4_000;

// Each run withdraws its own organisation's registration.
const RUNS = [
  { name: 'with JavaScript', javascript: true, office: 'biuro@example.pl', withdraws: 'Fundacja Zielony Zakątek' },
  { name: 'without JavaScript', javascript: false, office: 'sekretariat@example.pl', withdraws: 'Klub Sąsiedzki Dębniki' },
];
const ORGANISATIONS = ['Stowarzyszenie Sąsiedzi z Podgórza', ...RUNS.map((run) => run.withdraws)];

function copySite() {
  return siteWithOffice('agora-panel-registrations-', RUNS.map((run) => run.office));
}

// ---------------------------------------------------------------------------
// Residents register through the form's endpoint and confirm by e-mail

function addressOf(index) {
  return `kontakt${index}@example.pl`;
}

async function registerEveryone(origin, root) {
  const { started_at: stamp } = await (await fetch(`${origin}/api/forms/${FORM}`)).json();
  await new Promise((resolve) => setTimeout(resolve, FILL_MS));
  for (const [index, organisation] of ORGANISATIONS.entries()) {
    const email = addressOf(index);
    const body = new URLSearchParams({
      organisation,
      registry_number: '5260250274',
      contact_person: `Osoba ${index}`,
      email,
      description: 'Chcemy zaprosić mieszkańców na spacer i rozmowę o zieleni wokół szkoły.',
      processing: 'tak',
      started_at: stamp,
    });
    const sent = await fetch(`${origin}/api/forms/${FORM}`, { method: 'POST', body, redirect: 'manual' });
    assert.ok([200, 303].includes(sent.status), `registering ${organisation}: ${sent.status}`);
    const [mail] = outboxMailsTo(root, email);
    const token = mail && mail.match(/\/potwierdz\?token=([A-Za-z0-9_-]+)/);
    assert.ok(token, `no confirmation link to ${email}`);
    const confirmed = await fetch(`${origin}/api/forms/${FORM}/potwierdz`, {
      method: 'POST', body: new URLSearchParams({ token: token[1] }), redirect: 'manual',
    });
    assert.equal(confirmed.status, 200, `confirming ${organisation}`);
  }
}

// ---------------------------------------------------------------------------
// Office at a browser: a private window and the keyboard

// Whether `selector` has focus within a second: the browser focuses an
// `autofocus` element at its next rendering, which may follow `load`.
async function comesToFocus(page, selector) {
  for (let tries = 0; tries < 20; tries += 1) {
    if (await focusIs(page, selector)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function pathOf(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

// What every page must be: Polish, one h1, no script errors; and axe-clean.
async function check(window, where) {
  const { page, errors } = window;
  assert.equal(await page.$eval('html', (h) => h.getAttribute('lang')), 'pl', `${where}: lang`);
  assert.equal((await page.$$('h1')).length, 1, `${where}: not exactly one <h1>`);
  assert.deepEqual(errors, [], `${where}: script errors`);
  await assertAxeClean(page, `${where} (${pathOf(page)})`);
}

function rowsShown(page) {
  return page.$$eval('main tbody tr', (rows) => rows.map((row) => row.innerText));
}

// ---------------------------------------------------------------------------

withAgoraBin(AGORA_BIN, 'registrations in the staff workspace', defineJourneys);

function defineJourneys() {
  describe('a form\'s registrations on agora serve', { timeout: 180_000 }, () => {
    let chromium;
    let root;
    let serve;

    before(async () => {
      root = copySite();
      serve = await startAgoraServe(AGORA_BIN, root, ['--no-watch', '--now', NOW]);
      await registerEveryone(serve.origin, root);
      chromium = await launchBrowser();
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    for (const run of RUNS) {
      describe(`with the keyboard alone, ${run.name}`, () => {
        let window;

        before(async () => {
          window = await openWindow(chromium.browser, run.javascript);
          await signIn(window.page, serve.origin, root, run.office);
        });

        after(async () => {
          if (window) await window.context.close();
        });

        test('office filters and searches the list', async () => {
          const { page } = window;
          await page.goto(serve.origin + LIST, { waitUntil: 'load' });
          assert.match(await page.$eval('h1', (h) => h.textContent), /^Zgłoszenia: /);
          assert.match(await page.$eval('main', (m) => m.innerText), /3 zgłoszenia/);
          await check(window, 'the list');
          if (run.javascript) await atBothWidths(window.context, serve.origin, LIST, 'panel-registrations');

          await tabTo(page, '#stan');
          // A closed select changes with the arrow keys: "ma miejsce" follows "czeka na potwierdzenie".
          await page.keyboard.press('ArrowDown');
          await page.keyboard.press('ArrowDown');
          assert.equal(await page.$eval('#stan', (s) => s.value), 'registered');
          await tabTo(page, '#szukaj');
          await page.keyboard.type(run.withdraws.split(' ').pop().toLowerCase());
          assert.equal(await pressAndWait(page, 'Enter'), 200);
          assert.match(pathOf(page), /\?stan=registered&szukaj=/);
          const rows = await rowsShown(page);
          assert.equal(rows.length, 1, `one match: ${rows}`);
          assert.ok(rows[0].includes(run.withdraws), rows[0]);
          await check(window, 'the filtered list');

          await tabTo(page, '#szukaj');
          await page.keyboard.type(' nikogo takiego');
          assert.equal(await pressAndWait(page, 'Enter'), 200);
          assert.match(await page.$eval('main', (m) => m.innerText), /Nie ma zgłoszeń, które pasują/);
          await check(window, 'the list with no match');
        });

        test('office opens a registration and withdraws it, after forgetting the reason', async () => {
          const { page } = window;
          const search = encodeURIComponent(run.withdraws);
          await page.goto(`${serve.origin}${LIST}?szukaj=${search}`, { waitUntil: 'load' });
          await tabTo(page, 'main tbody th a');
          assert.equal(await pressAndWait(page, 'Enter'), 200);
          assert.match(await page.$eval('h1', (h) => h.textContent), /^Zgłoszenie /);
          const detail = pathOf(page);
          assert.match(await page.$eval('main', (m) => m.innerText), new RegExp(run.withdraws));
          await check(window, 'the registration');

          await tabTo(page, 'main form button.button--warning');
          assert.equal(await pressAndWait(page, 'Space'), 422, 'no reason given');
          assert.ok(await comesToFocus(page, 'main .error-summary'), 'the message has focus');
          assert.equal(await page.$eval('#powod', (r) => r.getAttribute('aria-invalid')), 'true');
          await check(window, 'the refused withdrawal');

          await tabTo(page, '#powod');
          await page.keyboard.press('Space');
          assert.ok(await page.$eval('#powod', (r) => r.checked), 'the first reason chosen with Space');
          await tabTo(page, 'main form button.button--warning');
          assert.equal(await pressAndWait(page, 'Enter'), 200);
          assert.equal(pathOf(page), `${detail}?zrobione=wycofano`);
          const text = await page.$eval('main', (m) => m.innerText);
          assert.match(text, /Zgłoszenie wycofano/);
          assert.ok(!text.includes(run.withdraws), 'the data is erased');
          assert.equal(await page.$('main form button.button--warning'), null, 'nothing more to do');
          await check(window, 'the withdrawn registration');
        });
      });
    }
  });
}
