'use strict';
// Ambassadors in the staff workspace on `agora serve`, in headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/panel-ambassadors.test.js
//
// A copy of the Kraków site whose office may sign in runs under
// `agora serve --now 2020-03-05` (the recruitments open, the live rebuild
// on). Two residents apply to be ambassadors through the forms' API and
// confirm. With the keyboard alone, once with JavaScript and once without,
// office opens the list, tries a decision without choosing one (the error
// state), appoints an applicant with a message, and the public page lists
// them; an ambassador of district XIII sees the person who joined their
// process. axe-core checks the list, the decision form and its error
// state, and the area at both widths; screenshots go to target/screenshots/.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  assertAxeClean, launchBrowser, outboxMailsTo, startAgoraServe, withAgoraBin,
} = require('./lib');
const {
  atBothWidths, openWindow, pressOn, sendAndConfirm, signIn, siteWithOffice,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const OFFICE = 'biuro@example.pl';
const AMBASSADOR = 'zofia@example.pl';

function copySite() {
  return siteWithOffice('agora-panel-ambassadors-', [OFFICE]);
}

withAgoraBin(AGORA_BIN, 'ambassadors in the staff workspace', () => {
  describe('ambassadors in the workspace on agora serve', { timeout: 240_000 }, () => {
    let chromium;
    let root;
    let serve;
    const references = {};

    before(async () => {
      root = copySite();
      serve = await startAgoraServe(AGORA_BIN, root, ['--now', '2020-03-05 12:00']);
      chromium = await launchBrowser();
      for (const [name, email] of [['Anna Próbna', 'anna@example.pl'], ['Jan Próbny', 'jan@example.pl']]) {
        references[email] = await sendAndConfirm(serve.origin, root, 'ambasadorzy', {
          full_name: name, email, district: 'XIII', area: 'Osiedle Kabel', publication: true,
        });
      }
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    for (const javascript of [true, false]) {
      const applicant = javascript ? 'anna@example.pl' : 'jan@example.pl';
      test(`office appoints with the keyboard alone, ${javascript ? 'with' : 'without'} JavaScript`, async () => {
        const { context, page } = await openWindow(chromium.browser, javascript);
        try {
          await signIn(page, serve.origin, root, OFFICE, 'Space');
          await page.goto(`${serve.origin}/panel/`, { waitUntil: 'load' });
          assert.equal(await pressOn(page, 'nav a[href="/panel/ambasadorzy"]'), 200);
          if (javascript) await atBothWidths(context, serve.origin, '/panel/ambasadorzy', 'panel-ambassadors');
          const reference = references[applicant];
          assert.equal(await pressOn(page, `main a[href="/panel/ambasadorzy/${reference}"]`), 200);
          if (javascript) await assertAxeClean(page, 'the decision form');
          // The browser requires a choice: the server's own refusal shows
          // when the decision no longer stands (the message too long).
          await page.focus('#message');
          await page.keyboard.type('x'.repeat(2001));
          await page.focus('#decision-appointed');
          await page.keyboard.press('Space');
          assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 422);
          // The summary takes focus (autofocus) once the page has loaded.
          await page.waitForFunction(() => document.activeElement.matches('.error-summary'), { polling: 100, timeout: 5000 });
          if (javascript) await assertAxeClean(page, 'the decision form with an error');
          await page.$eval('#message', (m) => { m.value = ''; });
          await page.focus('#message');
          await page.keyboard.type('Zapraszamy na szkolenie.');
          assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 200);
          assert.match(await page.$eval('main', (m) => m.innerText), /Zapisano decyzję: powołanie\./);
          const [mail] = outboxMailsTo(root, applicant);
          assert.match(mail, /Zapraszamy na szkolenie\./);
        } finally {
          await context.close();
        }
      });
    }

    test('the public page lists the appointed, and the area shows who joined', async () => {
      let listed = '';
      const both = () => listed.includes('Anna Próbna') && listed.includes('Jan Próbny');
      // The live rebuild follows each publishing within moments.
      for (let tries = 0; tries < 100 && !both(); tries += 1) {
        listed = await (await fetch(`${serve.origin}/wspolne-projekty/ambasadorzy/`)).text();
        await new Promise((resolve) => { setTimeout(resolve, 200); });
      }
      const table = (listed.match(/<table class="ambassadors">[^]*?<\/table>/) || ['(no table)'])[0];
      assert.ok(both(), `both are on the public page: ${table}`);
      await sendAndConfirm(serve.origin, root, 'dolacz-do-procesu', {
        full_name: 'Maria Sąsiadka', email: 'maria@example.pl', ambassador: references['anna@example.pl'],
      });
      const { context, page } = await openWindow(chromium.browser, false);
      try {
        await signIn(page, serve.origin, root, OFFICE, 'Space');
        await page.goto(`${serve.origin}/panel/konta`, { waitUntil: 'load' });
        await page.focus('#new-email');
        await page.keyboard.type(AMBASSADOR);
        await page.select('#new-role', 'ambassador');
        await page.focus('#new-area');
        await page.keyboard.type('XIII');
        assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 200);
      } finally {
        await context.close();
      }
      const ambassador = await openWindow(chromium.browser, true);
      try {
        await signIn(ambassador.page, serve.origin, root, AMBASSADOR, 'Space');
        assert.equal(await pressOn(ambassador.page, 'main a[href="/panel/moj-obszar"]'), 200);
        assert.match(await ambassador.page.$eval('main', (m) => m.innerText), /Maria Sąsiadka/);
        await atBothWidths(ambassador.context, serve.origin, '/panel/moj-obszar', 'panel-ambassadors-area');
        const refused = await ambassador.page.goto(`${serve.origin}/panel/ambasadorzy`);
        assert.equal(refused.status(), 403);
      } finally {
        await ambassador.context.close();
      }
    });
  });
});
