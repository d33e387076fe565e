'use strict';
// An editor's preview in headless Chromium: `agora serve` on a copy of the
// Kraków site reloads the open page after an edit, shows a content error
// over the page (accessibly: axe-core checks the overlay) until it is
// fixed, and keeps serving the last good page meanwhile.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  ARTIFACTS_DIR, assertAxeClean, copyKrakowSite, launchBrowser, startAgoraServe, withBrowser,
} = require('./lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const PAGE = '/kontakt/';
const FILE = path.join('content', 'kontakt.md');

// The page listens for rebuilds once its script has opened the event
// stream (a long-lived stream has no load event): live.js marks that.
async function listening(page) {
  await page.waitForSelector('html[data-agora-live="listening"]', { timeout: 30_000 });
}

if (!AGORA_BIN || !fs.existsSync(AGORA_BIN)) {
  test('live reload: AGORA_BIN names the agora binary', () => {
    assert.fail(`AGORA_BIN=${AGORA_BIN || '(unset)'}: build it (cargo build -p agora) and run AGORA_BIN=target/debug/agora node --test tests/browser/`);
  });
} else {
  withBrowser('live reload in Chromium', () => {
    describe('agora serve while an editor works', { timeout: 120_000 }, () => {
      let chromium;
      let root;
      let serve;

      before(async () => {
        root = copyKrakowSite('agora-live-');
        serve = await startAgoraServe(AGORA_BIN, root);
        chromium = await launchBrowser();
      });

      after(async () => {
        if (chromium) await chromium.close();
        if (serve) serve.child.kill();
        if (root) fs.rmSync(root, { recursive: true, force: true });
      });

      test('an edit reloads the page; an error shows over it until fixed, and the last good page stays', async () => {
        const page = await chromium.browser.newPage();
        page.setDefaultTimeout(20_000);
        const errors = [];
        page.on('pageerror', (error) => errors.push(String(error)));
        try {
          await page.goto(serve.origin + PAGE, { waitUntil: 'load' });
          await listening(page);
          const file = path.join(root, FILE);
          const good = fs.readFileSync(file, 'utf8');

          // An edit: the open page reloads by itself with the new text.
          await Promise.all([
            page.waitForNavigation({ waitUntil: 'load' }),
            fs.promises.writeFile(file, good.replace(/\n---\n/, '\n---\n\nZmiana widoczna od razu.\n')),
          ]);
          assert.match(await page.$eval('main', (m) => m.innerText), /Zmiana widoczna od razu\./);

          // A mistake: the error, with its file, over the page.
          await listening(page);
          fs.writeFileSync(file, good.replace(/^title:.*$/m, 'tytul: Kontakt'));
          const dialog = await page.waitForSelector('[role="alertdialog"]');
          const text = await dialog.evaluate((d) => d.innerText);
          assert.match(text, /content\/kontakt\.md/, 'the error names the file');
          assert.match(text, /title/, 'and what is wrong');
          assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Zamknij', 'focus moves into the dialog');
          await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'live-error-1280x900.png') });
          await assertAxeClean(page, 'the error overlay');

          // Meanwhile the server keeps the last good page.
          const served = await (await fetch(serve.origin + PAGE)).text();
          assert.match(served, /Zmiana widoczna od razu\./);
          assert.match(serve.output(), /serving the last good site/);

          // Escape closes the overlay; the fix reloads the page.
          await page.keyboard.press('Escape');
          assert.equal(await page.$('[role="alertdialog"]'), null);
          await Promise.all([
            page.waitForNavigation({ waitUntil: 'load' }),
            fs.promises.writeFile(file, good),
          ]);
          assert.doesNotMatch(await page.$eval('main', (m) => m.innerText), /Zmiana widoczna od razu\./);
          assert.equal(await page.$('[role="alertdialog"]'), null);
          assert.deepEqual(errors, [], 'no script errors');
        } finally {
          await page.close();
        }
      });

      test('a built site carries no live-reload script', () => {
        const site = process.env.AGORA_SITE_DIR;
        assert.ok(site, 'AGORA_SITE_DIR names the built site');
        const html = fs.readFileSync(path.join(site, 'kontakt', 'index.html'), 'utf8');
        assert.doesNotMatch(html, /__agora/);
      });
    });
  });
}
