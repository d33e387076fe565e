'use strict';
// Residents' journeys through the forms, on `agora serve` in headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/
//
// Each suite copies the Kraków site to a temporary folder and runs
// `agora serve --port 0 --now <a moment inside the recruitment>` on it (the
// embedded SQLite store, the e-mail outbox in .agora/outbox/). A resident
// registers with JavaScript and without, makes a mistake, confirms through
// the link in the outbox e-mail and withdraws; every form is completed with
// the keyboard alone; axe-core checks each form in its error state and the
// pages after it. Screenshots of a form with errors go to
// target/browser-artifacts/.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  ARTIFACTS_DIR, VIEWPORTS, assertAxeClean, copyKrakowSite, launchBrowser, planWorkshops, startAgoraServe, withBrowser,
} = require('./lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
// The form functions take a form sent sooner than this after the page
// opened for spam (kept for review): people wait a little longer.
const MIN_FILL_MS = 3_500;
const NIP = '5260250274';

// One published ambassador, so that "Dołącz do procesu" has an area to choose.
const AMBASSADORS = `ambassadors:
  - id: K7QX-M3PA
    full_name: Anna Testowa
    district: Dzielnica XIII Podgórze
    area: Osiedle Zabłocie
`;

const PEOPLE = {
  ambasadorzy: {
    page: '/wspolne-projekty/ambasadorzy/',
    values: {
      full_name: 'Zofia Wiśniewska',
      email: 'zofia@example.pl',
      district: 'XIII',
      area: 'Okolice Rynku Podgórskiego',
      processing: true,
      publication: true,
    },
  },
  'warsztaty-wspolne-projekty-miejskie-2020': {
    page: '/wspolne-projekty/miejskie/',
    values: { full_name: 'Jan Kowalski', email: 'jan@example.pl', attends_all: true, processing: true },
  },
  'dolacz-do-procesu': {
    page: '/wspolne-projekty/dzielnicowe/',
    values: {
      full_name: 'Ewa Nowak',
      email: 'ewa@example.pl',
      ambassador: 'K7QX-M3PA',
      idea: 'Ławki i cień przy przystanku.',
      processing: true,
    },
  },
  'debiuty-w-partycypacji': {
    page: '/aktualnosci/partycypacja-dla-poczatkujacych-i-zaawansowanych/',
    now: '2023-04-10 12:00',
    values: {
      organisation: 'Stowarzyszenie Sąsiedzi z Podgórza',
      registry_number: NIP,
      contact_person: 'Maria Zielińska',
      email: 'maria@example.pl',
      description: 'Chcemy zaprosić mieszkańców Podgórza na spacer i rozmowę o zieleni wokół szkoły.',
      processing: true,
    },
  },
};

// ---------------------------------------------------------------------------
// agora serve on a copy of the site

function copySite() {
  const root = copyKrakowSite('agora-forms-');
  planWorkshops(root);
  fs.writeFileSync(path.join(root, 'content', 'data', 'ambasadorzy.yaml'), AMBASSADORS);
  return root;
}

function startServe(root, now) {
  return startAgoraServe(AGORA_BIN, root, ['--now', now]);
}

// Every e-mail to `address`, decoded (quoted-printable), newest first.
function outboxMailsTo(root, address) {
  const dir = path.join(root, '.agora', 'outbox');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.eml')) : [];
  const decode = (name) => {
    const raw = fs.readFileSync(path.join(dir, name), 'latin1').replace(/=\r?\n/g, '');
    return Buffer.from(raw.replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1')
      .toString('utf8');
  };
  const mails = names
    .map((name) => ({ name, text: decode(name), at: fs.statSync(path.join(dir, name)).mtimeMs }))
    .filter((mail) => new RegExp(`^To: ${address.replace(/[.]/g, '\\.')}\\r?$`, 'm').test(mail.text))
    .sort((a, b) => b.at - a.at);
  return mails.map((mail) => mail.text);
}

// The newest e-mail to `address`, decoded.
function outboxMailTo(root, address) {
  const mails = outboxMailsTo(root, address);
  assert.ok(mails.length > 0, `no e-mail to ${address} in ${path.join(root, '.agora', 'outbox')}`);
  return mails[0];
}

// The reference an e-mail names.
function referenceIn(mail) {
  const found = mail.match(/Numer zgłoszenia: ([A-Z2-9]{4}-[A-Z2-9]{4})/);
  assert.ok(found, `no reference in the e-mail:\n${mail}`);
  return found[1];
}

function linkIn(mail, action) {
  const link = mail.match(new RegExp(`http://\\S+/${action}\\?token=[A-Za-z0-9_-]+`));
  assert.ok(link, `no ${action} link in the e-mail:\n${mail}`);
  return link[0];
}

// ---------------------------------------------------------------------------
// Page helpers

async function openPage(browser, origin, { javascript = true, viewport = VIEWPORTS[0] } = {}) {
  const page = await browser.newPage();
  // Generous: a loaded 2-core machine has taken over 15 s for one
  // navigation; a real failure still fails, only later.
  page.setDefaultTimeout(30_000);
  const errors = [];
  const offSite = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url().startsWith(`${origin}/`) || request.url().startsWith('data:')) {
      request.continue();
    } else {
      offSite.push(request.url());
      request.abort('blockedbyclient');
    }
  });
  page.on('pageerror', (error) => errors.push(String(error && error.message ? error.message : error)));
  await page.setJavaScriptEnabled(javascript);
  await page.setViewport({ width: viewport.width, height: viewport.height, isMobile: !!viewport.isMobile, hasTouch: !!viewport.hasTouch });
  // The theme scrolls smoothly unless motion is reduced: a click right
  // after Puppeteer scrolls the target into view then lands where the
  // target was mid-scroll (a checkbox left unticked, a button missed).
  await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
  return { page, errors, offSite };
}

async function visit(page, url) {
  const response = await page.goto(url, { waitUntil: 'load' });
  // 304: the browser had the page from an earlier test.
  assert.ok([200, 304].includes(response.status()), `${url} answered ${response.status()}`);
  // With JavaScript, the form is timed from the stamp the status request
  // brings, which can come after the page's load on a busy machine.
  if (page.isJavaScriptEnabled() && (await page.$('form.agora-form input[name="started_at"]'))) {
    await page.waitForFunction(
      () => document.querySelector('form.agora-form input[name="started_at"]').value !== '',
      { timeout: 30_000 },
    );
  }
  return Date.now();
}

// Waits until the form has been open long enough for a person.
async function waitToBeHuman(openedAt) {
  const left = MIN_FILL_MS - (Date.now() - openedAt);
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

// Fills fields with the mouse-free DOM API (for the journeys; the keyboard
// test below uses keys only).
async function fill(page, values) {
  await page.evaluate((entries) => {
    for (const [name, value] of entries) {
      const inputs = document.querySelectorAll(`form.agora-form [name="${name}"]`);
      for (const input of inputs) {
        if (input.type === 'checkbox') input.checked = value === true;
        else input.value = value;
      }
    }
  }, Object.entries(values));
}

async function submitAndWait(page, selector = 'form.agora-form button[type="submit"]') {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(selector),
  ]);
  return response;
}

function summaryOf(page) {
  return page.evaluate(() => {
    const summary = document.querySelector('.error-summary');
    if (!summary) return null;
    return {
      title: summary.querySelector('h2').textContent.trim(),
      focused: document.activeElement === summary,
      links: [...summary.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })),
    };
  });
}

function inlineErrors(page) {
  return page.$$eval('.field--error .error-message', (messages) => messages.map((m) => ({
    id: m.id,
    text: m.textContent.trim(),
  })));
}

function valueOf(page, name) {
  return page.$eval(`form.agora-form [name="${name}"]`, (input) => (input.type === 'checkbox' ? input.checked : input.value));
}

function reference(page) {
  return page.$eval('.reference', (p) => p.textContent.trim());
}

// ---------------------------------------------------------------------------

if (!AGORA_BIN || !fs.existsSync(AGORA_BIN)) {
  test('form journeys: AGORA_BIN names the agora binary', () => {
    assert.fail(`AGORA_BIN=${AGORA_BIN || '(unset)'}: build it (cargo build -p agora) and run AGORA_BIN=target/debug/agora node --test tests/browser/`);
  });
} else {
  withBrowser('form journeys in Chromium', defineJourneys);
}

function defineJourneys() {
  describe('forms on agora serve, as of 5 March 2020', { timeout: 240_000 }, () => {
    let chromium;
    let browser;
    let root;
    let serve;
    let origin;

    before(async () => {
      root = copySite();
      serve = await startServe(root, '2020-03-05 12:00');
      origin = serve.origin;
      chromium = await launchBrowser();
      browser = chromium.browser;
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    test('with JavaScript: a mistake, the summary, values kept; then registered, confirmed from the e-mail, withdrawn', async () => {
      const { page, errors, offSite } = await openPage(browser, origin);
      try {
        const person = PEOPLE.ambasadorzy;
        const openedAt = await visit(page, origin + person.page);
        // A mistake: no district, a wrong e-mail.
        await fill(page, { ...person.values, district: '', email: 'zofia@' });
        await page.click('form.agora-form button[type="submit"]');
        await page.waitForSelector('.error-summary');
        const summary = await summaryOf(page);
        assert.equal(summary.title, 'Wystąpił problem');
        assert.ok(summary.focused, 'focus moves to the summary');
        assert.deepEqual(summary.links.map((l) => l.href).sort(), ['#field-district', '#field-email']);
        const inline = await inlineErrors(page);
        assert.deepEqual(inline.map((e) => e.id).sort(), ['field-district-error', 'field-email-error']);
        assert.match(inline.find((e) => e.id === 'field-district-error').text, /Wybierz dzielnicę/);
        assert.equal(page.url(), origin + person.page, 'the page stayed: sent in the background');
        assert.equal(await valueOf(page, 'full_name'), person.values.full_name, 'values are kept');
        assert.equal(await valueOf(page, 'area'), person.values.area);
        assert.equal(await valueOf(page, 'email'), 'zofia@');
        assert.equal(await page.$eval('#field-email', (i) => i.getAttribute('aria-invalid')), 'true');
        assert.match(await page.$eval('#field-email', (i) => i.getAttribute('aria-describedby')), /field-email-error/);
        await assertAxeClean(page, `${person.page} with errors (JavaScript)`);

        // A summary link takes the person to the field.
        await page.click('.error-summary a[href="#field-district"]');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'field-district');

        await fill(page, { district: person.values.district, email: person.values.email });
        await waitToBeHuman(openedAt);
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.agora-form button[type="submit"]')]);
        assert.equal(new URL(page.url()).pathname, '/api/forms/ambasadorzy/wyslane');
        const received = await page.$eval('body', (b) => b.innerText);
        assert.match(received, /Dziękujemy za zgłoszenie/);
        assert.match(received, /Potwierdź zgłoszenie/, 'what happens next');
        assert.match(received, /Napisz do nas: \S+@\S+/, 'contact details');
        await assertAxeClean(page, 'the confirmation page');

        const mail = outboxMailTo(root, person.values.email);
        const ref = referenceIn(mail);
        assert.doesNotMatch(received, new RegExp(ref), 'the reference is shown once the address is proven');
        await visit(page, linkIn(mail, 'potwierdz'));
        await assertAxeClean(page, 'the confirmation link page');
        await submitAndWait(page, 'main form button[type="submit"]');
        assert.match(await page.$eval('h1', (h) => h.textContent), /Zgłoszenie potwierdzone/);
        assert.equal(await reference(page), ref);

        await visit(page, linkIn(mail, 'wycofaj'));
        await assertAxeClean(page, 'the withdrawal link page');
        await submitAndWait(page, 'main form button[type="submit"]');
        assert.match(await page.$eval('h1', (h) => h.textContent), /Zgłoszenie wycofane/);
        await assertAxeClean(page, 'the withdrawn page');
        assert.deepEqual(errors, [], 'no script errors');
        assert.deepEqual(offSite, [], 'no request left the server');
      } finally {
        await page.close();
      }
    });

    for (const viewport of VIEWPORTS) {
      test(`a form with errors at ${viewport.width}×${viewport.height} (screenshot)`, async () => {
        const { page } = await openPage(browser, origin, { viewport });
        try {
          await visit(page, origin + PEOPLE.ambasadorzy.page);
          await fill(page, { full_name: 'Zofia Wiśniewska', email: 'zofia@' });
          await page.click('form.agora-form button[type="submit"]');
          await page.waitForSelector('.error-summary');
          await page.screenshot({ path: path.join(ARTIFACTS_DIR, `form-errors-${viewport.name}.png`), fullPage: true });
          await assertAxeClean(page, `the ambassadors' form with errors at ${viewport.name}`);
        } finally {
          await page.close();
        }
      });
    }

    test('without JavaScript: the 422 page keeps every value, then the 303 to the confirmation', async () => {
      const { page, offSite } = await openPage(browser, origin, { javascript: false, viewport: VIEWPORTS[1] });
      try {
        const person = PEOPLE.ambasadorzy;
        await visit(page, origin + person.page);
        await page.type('#field-full_name', 'Piotr Zając');
        await page.type('#field-email', 'piotr@example.pl');
        await page.select('#field-district', 'II');
        // The area and the required consent are missing.
        const answer = await submitAndWait(page);
        assert.equal(answer.status(), 422);
        // The page with the form again carries a fill-time stamp the
        // server signed: the next sending is timed from it.
        const againAt = Date.now();
        assert.match(await valueOf(page, 'started_at'), /^\d+\.[\w-]{22}$/);
        const summary = await summaryOf(page);
        assert.equal(summary.title, 'Wystąpił problem');
        assert.deepEqual(summary.links.map((l) => l.href).sort(), ['#field-area', '#field-processing']);
        assert.equal(await valueOf(page, 'full_name'), 'Piotr Zając');
        assert.equal(await valueOf(page, 'email'), 'piotr@example.pl');
        assert.equal(await valueOf(page, 'district'), 'II');
        await assertAxeClean(page, 'the 422 page (no JavaScript)');

        await page.type('#field-area', 'Grzegórzki Wschodnie');
        await page.click('#field-processing');
        await waitToBeHuman(againAt);
        const done = await submitAndWait(page);
        assert.equal(done.status(), 200, 'after the 303');
        assert.equal(new URL(page.url()).pathname, '/api/forms/ambasadorzy/wyslane');
        assert.match(await page.$eval('main', (m) => m.innerText), /Jest w nim numer zgłoszenia/);
        assert.match(referenceIn(outboxMailTo(root, 'piotr@example.pl')), /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
        assert.deepEqual(offSite, []);
      } finally {
        await page.close();
      }
    });

    test('without JavaScript: a complete form comes back once to be checked and sent again, then the 303', async () => {
      const { page, offSite } = await openPage(browser, origin, { javascript: false, viewport: VIEWPORTS[0] });
      try {
        const person = PEOPLE.ambasadorzy;
        const address = 'janina.nowak@example.pl';
        await visit(page, origin + person.page);
        assert.equal(await valueOf(page, 'started_at'), '', 'the built page carries no stamp');
        await fill(page, { ...person.values, email: address });
        const first = await submitAndWait(page);
        assert.equal(first.status(), 422, 'nothing stored without a stamp');
        const againAt = Date.now();
        assert.match(await page.$eval('h1', (h) => h.textContent), /Sprawdź odpowiedzi i wyślij ponownie/);
        assert.match(await page.$eval('main', (m) => m.innerText), /nie jest jeszcze zapisane/);
        assert.equal(await valueOf(page, 'email'), address, 'values are kept');
        assert.equal(await valueOf(page, 'full_name'), person.values.full_name);
        assert.match(await valueOf(page, 'started_at'), /^\d+\.[\w-]{22}$/);
        assert.equal(outboxMailsTo(root, address).length, 0, 'no e-mail yet');
        await assertAxeClean(page, 'the send-again page (no JavaScript)');

        await waitToBeHuman(againAt);
        const done = await submitAndWait(page);
        assert.equal(done.status(), 200, 'after the 303');
        assert.equal(new URL(page.url()).pathname, '/api/forms/ambasadorzy/wyslane');
        assert.match(referenceIn(outboxMailTo(root, address)), /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
        assert.deepEqual(offSite, []);
      } finally {
        await page.close();
      }
    });

    test('the workshop form refuses a missing three-workshop declaration with its own message', async () => {
      for (const javascript of [true, false]) {
        const { page } = await openPage(browser, origin, { javascript });
        try {
          const person = PEOPLE['warsztaty-wspolne-projekty-miejskie-2020'];
          await visit(page, origin + person.page);
          await fill(page, { ...person.values, attends_all: false });
          if (javascript) {
            await page.click('form.agora-form button[type="submit"]');
            await page.waitForSelector('.error-summary');
          } else {
            assert.equal((await submitAndWait(page)).status(), 422);
          }
          const summary = await summaryOf(page);
          assert.deepEqual(summary.links.map((l) => l.href), ['#field-attends_all']);
          assert.match(summary.links[0].text, /Zaznacz deklarację udziału we wszystkich trzech warsztatach/);
          assert.equal(await valueOf(page, 'email'), person.values.email);
          await assertAxeClean(page, `the workshop form with its error (JavaScript ${javascript ? 'on' : 'off'})`);
        } finally {
          await page.close();
        }
      }
    });

    for (const id of ['ambasadorzy', 'warsztaty-wspolne-projekty-miejskie-2020', 'dolacz-do-procesu']) {
      test(`${id}: completed with the keyboard alone`, async () => {
        await completeWithKeyboard(browser, origin, id);
      });
    }
  });

  describe('forms on agora serve, as of 10 April 2023', { timeout: 120_000 }, () => {
    let chromium;
    let root;
    let serve;

    before(async () => {
      root = copySite();
      serve = await startServe(root, PEOPLE['debiuty-w-partycypacji'].now);
      chromium = await launchBrowser();
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    test('debiuty-w-partycypacji: completed with the keyboard alone', async () => {
      await completeWithKeyboard(chromium.browser, serve.origin, 'debiuty-w-partycypacji');
    });

    test('debiuty-w-partycypacji: a wrong NIP is named, and axe finds nothing on the error state', async () => {
      const { page } = await openPage(chromium.browser, serve.origin);
      try {
        const person = PEOPLE['debiuty-w-partycypacji'];
        await visit(page, serve.origin + person.page);
        await fill(page, { ...person.values, registry_number: '5260250275' });
        await page.click('form.agora-form button[type="submit"]');
        await page.waitForSelector('.error-summary');
        const summary = await summaryOf(page);
        assert.deepEqual(summary.links.map((l) => l.href), ['#field-registry_number']);
        await assertAxeClean(page, 'the NGO form with its error');
      } finally {
        await page.close();
      }
    });
  });
}

// Tab through the form from the top of the page, typing, ticking and
// choosing with keys only, then Enter on the submit button; the
// confirmation page must follow.
async function completeWithKeyboard(browser, origin, id) {
  const person = PEOPLE[id];
  const { page, errors } = await openPage(browser, origin);
  try {
    const openedAt = await visit(page, origin + person.page);
    const handled = new Set();
    let submitted = false;
    for (let presses = 0; presses < 400 && !submitted; presses += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement;
        if (!element || !element.closest('form.agora-form')) return null;
        return { tag: element.tagName, type: element.type, name: element.name, id: element.id, value: element.value };
      });
      if (!focused || focused.tag === 'A' || handled.has(focused.id)) continue;
      handled.add(focused.id);
      if (focused.tag === 'BUTTON') {
        await waitToBeHuman(openedAt);
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
        submitted = true;
        break;
      }
      const wanted = person.values[focused.name];
      if (wanted === undefined || wanted === false) continue;
      if (focused.type === 'checkbox') {
        await page.keyboard.press('Space');
      } else if (focused.tag === 'SELECT') {
        for (let step = 0; step < 60; step += 1) {
          if ((await page.evaluate(() => document.activeElement.value)) === wanted) break;
          await page.keyboard.press('ArrowDown');
        }
        assert.equal(await page.evaluate(() => document.activeElement.value), wanted, `${focused.name}: the arrow keys reach the option`);
      } else {
        await page.keyboard.type(wanted);
      }
    }
    assert.ok(submitted, `Tab never reached the submit button of ${id}; reached: ${[...handled].join(', ')}`);
    const wantedNames = Object.keys(person.values).map((name) => `field-${name}`);
    for (const name of wantedNames) {
      assert.ok(handled.has(name), `Tab never reached ${name} (reached: ${[...handled].join(', ')})`);
    }
    assert.equal(new URL(page.url()).pathname, `/api/forms/${id}/wyslane`, `${id} was not accepted: ${await page.$eval('main', (m) => m.innerText)}`);
    assert.match(await page.$eval('h1', (h) => h.textContent), /Dziękujemy za zgłoszenie/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
}
