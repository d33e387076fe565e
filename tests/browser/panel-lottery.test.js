'use strict';
// The verifiable draw in the staff workspace, on `agora serve`, in
// headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/panel-lottery.test.js
//
// Each run has its own copy of the Kraków site (office addresses under
// `panel: office:`, the 2020 workshops with their planned window) and its
// own server. Residents apply to the workshops through the form's endpoint
// under `agora serve --now` inside the window and confirm with the e-mailed
// links; office sees that the draw must wait. The server restarts the day
// after the window closed (rebuilding after edits in one run, not in the
// other), and office, with the keyboard alone (once with
// JavaScript at desktop width, once without at phone width), publishes the
// list, is refused an empty seed (422), checks the seed, draws, and e-mails
// the results. With the live rebuild the draw's page reaches the site;
// without it, office is told so and may try again. axe-core checks every
// step, the refusal and that failure; screenshots of
// the drawn result go to target/screenshots/panel-lottery-draw-*.png.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  assertAxeClean, launchBrowser, outboxMailsTo, planWorkshops, startAgoraServe, withAgoraBin,
} = require('./lib');
const {
  DESKTOP, PHONE, SCREENSHOTS_DIR, openWindow, pressAndWait, signIn, siteWithOffice, tabTo,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const FORM = 'warsztaty-wspolne-projekty-miejskie-2020';
const LOTTERY = `/panel/formularze/${FORM}/losowanie`;
const DURING = '2020-03-05 12:00';
const AFTER = '2020-03-21 12:00';
const SEED = 'Lotto 2020-03-21: 3 11 19 27 35 44';
const APPLICANTS = ['ala@example.pl', 'bartek@example.pl', 'celina@example.pl'];
// The least fill time of the forms, and a second to spare.
const FILL_MS = 4_000;

const RUNS = [
  {
    name: 'with JavaScript, at desktop width',
    javascript: true,
    office: 'biuro@example.pl',
    viewport: DESKTOP,
    // The live rebuild shows the draw's page on the site at once.
    watch: true,
  },
  {
    name: 'without JavaScript, at phone width',
    javascript: false,
    office: 'sekretariat@example.pl',
    viewport: PHONE,
    // Without a rebuild the draw's page cannot reach the site: staff are told.
    watch: false,
  },
];

function siteFor(run) {
  const root = siteWithOffice('agora-panel-lottery-', [run.office]);
  planWorkshops(root);
  return root;
}

// The applicants apply as the form's script sends it, and confirm.
async function applyAndConfirm(origin, root) {
  const api = `${origin}/api/forms/${FORM}`;
  const { started_at: stamp } = await (await fetch(api)).json();
  await new Promise((resolve) => setTimeout(resolve, FILL_MS));
  for (const email of APPLICANTS) {
    const application = {
      full_name: 'Osoba Próbna', email, attends_all: true, processing: true, started_at: stamp,
    };
    const headers = { 'content-type': 'application/json' };
    const sent = await fetch(api, { method: 'POST', headers, body: JSON.stringify(application) });
    assert.equal(sent.status, 201, `${email} applies`);
    const token = outboxMailsTo(root, email)
      .map((mail) => mail.match(/\/potwierdz\?token=([A-Za-z0-9_-]+)/))
      .find(Boolean);
    assert.ok(token, `no confirmation link to ${email}`);
    const confirmed = await fetch(`${api}/potwierdz`, { method: 'POST', headers, body: JSON.stringify({ token: token[1] }) });
    assert.equal(confirmed.status, 200, `${email} confirms`);
  }
}

// The site shows the page at `where` with `text` on it, once the live
// rebuild after publishing has run.
async function assertOnSite(origin, where, text) {
  let last = '';
  for (let tries = 0; tries < 60; tries += 1) {
    const answer = await fetch(origin + where);
    last = `${answer.status}`;
    if (answer.ok && (await answer.text()).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.fail(`${where} never showed ${text} (last answer ${last})`);
}

// ---------------------------------------------------------------------------
// Office at a browser: its own window, keys only

class Desk {
  constructor(window, origin, run) {
    this.context = window.context;
    this.page = window.page;
    this.errors = window.errors;
    this.origin = origin;
    this.run = run;
  }

  static async open(browser, origin, run) {
    return new Desk(await openWindow(browser, run.javascript, run.viewport), origin, run);
  }

  async go(where, status = 200) {
    const response = await this.page.goto(this.origin + where, { waitUntil: 'load' });
    assert.equal(response.status(), status, `${where}: ${response.status()}`);
  }

  reach(selector) {
    return tabTo(this.page, selector);
  }

  // Presses `key` on what has focus: the status of the page it leads to.
  activate(key) {
    return pressAndWait(this.page, key);
  }

  text() {
    return this.page.$eval('main', (main) => main.innerText);
  }

  // One h1, Polish, no script errors, no sideways scrolling, axe-clean.
  async check(where) {
    assert.equal((await this.page.$$('h1')).length, 1, `${where}: one h1`);
    assert.equal(await this.page.$eval('html', (h) => h.lang), 'pl', `${where}: lang`);
    assert.deepEqual(this.errors, [], `${where}: script errors`);
    const [scrolled, width] = await this.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(scrolled <= width, `${where} is ${scrolled}px wide at ${width}px`);
    await assertAxeClean(this.page, `${where} at ${this.run.viewport.name}, ${this.run.name}`);
  }

  signIn(root) {
    return signIn(this.page, this.origin, root, this.run.office);
  }

  // Tabs to the page's button labelled `label` and presses it.
  async pressButton(label, key = 'Enter') {
    const selector = `main button[data-label="${label}"]`;
    await this.page.$$eval('main button', (buttons) => buttons.forEach((b) => b.setAttribute('data-label', b.textContent.trim())));
    assert.ok(await this.page.$(selector), `no button "${label}" on ${this.page.url()}`);
    await this.reach(selector);
    return this.activate(key);
  }

  async close() {
    await this.context.close();
  }
}

// ---------------------------------------------------------------------------

withAgoraBin(AGORA_BIN, 'the draw in the staff workspace in Chromium', () => {
  for (const run of RUNS) defineRun(run);
});

function defineRun(run) {
  describe(`the draw on agora serve, ${run.name}`, { timeout: 180_000 }, () => {
    let chromium;
    let root;
    let serve;
    let desk;

    const restart = async (now) => {
      if (serve) serve.child.kill();
      serve = await startAgoraServe(AGORA_BIN, root, [...(run.watch ? [] : ['--no-watch']), '--now', now]);
      if (desk) await desk.close();
      desk = await Desk.open(chromium.browser, serve.origin, run);
    };

    before(async () => {
      root = siteFor(run);
      chromium = await launchBrowser();
      await restart(DURING);
    });

    after(async () => {
      if (desk) await desk.close();
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    test('while applications come in, the page says the draw waits', async () => {
      await applyAndConfirm(serve.origin, root);
      await desk.signIn(root);
      await desk.go(LOTTERY);
      assert.match(await desk.text(), /Nabór trwa do 20 marca 2020, 23:59/);
      assert.equal(await desk.page.$('main form'), null, 'nothing to press yet');
      await desk.check('the draw while the form is open');
    });

    test('after closing, office publishes the list and downloads it', async () => {
      await restart(AFTER);
      await desk.signIn(root);
      await desk.go(LOTTERY);
      assert.match(await desk.text(), /Liczba zgłoszeń na liście: 3\./);
      await desk.check('the draw before the list');
      assert.equal(await desk.pressButton('Opublikuj listę'), 200);
      const text = await desk.text();
      assert.match(text, /Skrót SHA-256 listy\s+[0-9a-f]{64}/);
      assert.match(text, /Losowanie odbywa się tylko raz\./);
      await desk.check('the published list and the seed form');
      // The download, in the office's session (the page's policy lets no script fetch it).
      const cookie = (await desk.page.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const list = await fetch(`${serve.origin}${LOTTERY}/lista`, { headers: { cookie } });
      assert.equal(list.headers.get('content-disposition'), 'attachment; filename="lista.txt"');
      assert.equal(list.headers.get('cache-control'), 'no-store');
      assert.match(await list.text(), new RegExp(`^agora-lottery-list v1\\nform: ${FORM}\\n(?:[A-Z2-9-]+\\n){3}$`));
    });

    test('an empty seed is refused with 422, the message linked to the field', async () => {
      assert.equal(await desk.pressButton('Sprawdź ziarno'), 422);
      assert.match(await desk.page.$eval('main .error-summary', (e) => e.textContent), /Wpisz ziarno losowania/);
      assert.equal(await desk.page.$eval('#seed', (input) => input.getAttribute('aria-invalid')), 'true');
      await desk.check('the empty seed refused');
    });

    test('office checks the seed, then draws once', async () => {
      await desk.reach('#seed');
      await desk.page.keyboard.type(SEED);
      assert.equal(await desk.activate('Enter'), 200, 'the seed to check');
      assert.match(await desk.text(), /Sprawdź ziarno przed losowaniem/);
      assert.ok((await desk.text()).includes(`"${SEED}"`), 'the seed as the result writes it');
      await desk.check('the seed to confirm');
      assert.equal(await desk.pressButton('Losuj tym ziarnem', 'Space'), 200);
      assert.equal(new URL(desk.page.url()).pathname, LOTTERY, 'redirected to the page');
      const text = await desk.text();
      assert.match(text, /Wynik losowania/);
      assert.match(text, /Lista rezerwowa jest pusta: miejsca dostali wszyscy\./);
      const places = await desk.page.$$eval('main table tbody tr', (rows) => rows.length);
      assert.equal(places, APPLICANTS.length);
      await desk.check('the drawn result');
      if (run.watch) {
        await assertOnSite(serve.origin, `/wyniki-losowania-${FORM}/`, SEED);
      } else {
        assert.match(await desk.text(), /Strona z wynikiem nie trafiła na stronę programu/);
        assert.equal(await desk.pressButton('Opublikuj stronę z wynikiem'), 200, 'tried again, drawing nothing');
        assert.match(await desk.text(), /Strona z wynikiem nie trafiła na stronę programu/);
        await desk.check('the drawn result whose page did not reach the site');
      }
      // The result as the page shows it on coming back.
      await desk.go(LOTTERY);
      fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
      const file = path.join(SCREENSHOTS_DIR, `panel-lottery-draw-${run.viewport.name}.png`);
      await desk.page.screenshot({ path: file, fullPage: true });
    });

    test('office e-mails the results, once', async () => {
      assert.equal(await desk.pressButton('Wyślij e-maile z wynikami'), 200);
      assert.match(await desk.text(), /Wysłano 3 z 3 e-maili z wynikami\./);
      assert.equal(await desk.page.$('main button[data-label="Wyślij e-maile z wynikami"]'), null);
      await desk.check('the results e-mailed');
      for (const email of APPLICANTS) {
        const results = outboxMailsTo(root, email).filter((mail) => /Masz miejsce przyznane w losowaniu\./.test(mail));
        assert.equal(results.length, 1, `one result e-mail to ${email}`);
      }
    });
  });
}
