'use strict';
// The dashboard's charts (/panel/) on `agora serve`, in headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/panel-dashboard.test.js
//
// A copy of the Kraków site whose ambassadors' recruitment is open and
// whose office may sign in; three residents register through the forms'
// API (the JSON a page's script sends). Office signs in with the keyboard
// and finds, for that form, the registrations per day and by district as
// SVG named by its numbers, with the numbers in tables that open with the
// keyboard, with and without JavaScript. axe-core checks the page at phone
// and desktop width with the tables closed and open; the page never
// scrolls sideways. Screenshots: target/screenshots/panel-dashboard-*.png.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { assertAxeClean, launchBrowser, startAgoraServe, withAgoraBin } = require('./lib');
const {
  PHONE, SCREENSHOTS_DIR, WIDTHS, openWindow, signIn, siteWithOffice, tabTo,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const OFFICE = ['biuro-wykresy@example.pl', 'sekretariat-wykresy@example.pl'];
const FORM = 'ambasadorzy';
const RESIDENTS = [
  { full_name: 'Anna Testowa', email: 'anna.wykresy@example.pl', district: 'XIII' },
  { full_name: 'Jan Testowy', email: 'jan.wykresy@example.pl', district: 'XIII' },
  { full_name: 'Ewa Próbna', email: 'ewa.wykresy@example.pl', district: 'I' },
];

// A copy of the site: its office may sign in, the ambassadors' form is open.
function copySite() {
  const root = siteWithOffice('agora-panel-dashboard-', OFFICE);
  const form = path.join(root, 'content', 'forms', `${FORM}.yaml`);
  const open = fs.readFileSync(form, 'utf8').replace(/^closed_by:.*\n/m, '');
  fs.writeFileSync(form, open);
  return root;
}

// A fill-time stamp from the form's status, as the page's script takes it.
async function stamp(origin) {
  const status = await (await fetch(`${origin}/api/forms/${FORM}`)).json();
  assert.ok(status.started_at, `no fill-time stamp: ${JSON.stringify(status)}`);
  return status.started_at;
}

// A resident registers as the page's script would: the fields as JSON
// with a stamp given out at least 3 seconds before (sooner is a bot's).
async function register(origin, resident, startedAt) {
  const body = {
    ...resident, area: 'Okolice parku', processing: true, publication: false, website: '', started_at: startedAt,
  };
  const answer = await fetch(`${origin}/api/forms/${FORM}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', origin },
    body: JSON.stringify(body),
  });
  assert.ok(answer.status < 300, `registering ${resident.email}: ${answer.status} ${await answer.text()}`);
}

// What the charts of the form say: the SVG's names, the captions, the
// tables' rows.
function readCharts(page) {
  return page.$eval(`section[aria-labelledby="wykresy-${FORM}"]`, (section) => ({
    names: [...section.querySelectorAll('figure svg[role="img"]')].map((svg) => {
      const title = document.getElementById(svg.getAttribute('aria-labelledby'));
      return title ? title.textContent : '';
    }),
    captions: [...section.querySelectorAll('figure figcaption')].map((c) => c.textContent),
    rows: [...section.querySelectorAll('table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()).join(' ')),
    text: section.textContent,
  }));
}

withAgoraBin(AGORA_BIN, 'the dashboard charts in Chromium', defineTests);

function defineTests() {
  describe('the dashboard charts on agora serve', { timeout: 180_000 }, () => {
    let chromium;
    let root;
    let serve;

    before(async () => {
      root = copySite();
      serve = await startAgoraServe(AGORA_BIN, root, ['--no-watch']);
      chromium = await launchBrowser();
      const stamps = [];
      for (const _ of RESIDENTS) stamps.push(await stamp(serve.origin));
      // The server takes a form filled in under 3 seconds for a bot's.
      await new Promise((resolve) => { setTimeout(resolve, 3_500); });
      for (const [index, resident] of RESIDENTS.entries()) await register(serve.origin, resident, stamps[index]);
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    test('office sees the registrations per day and by district, named by their numbers', async () => {
      const { context, page } = await openWindow(chromium.browser, true);
      try {
        await signIn(page, serve.origin, root, OFFICE[0]);
        const charts = await readCharts(page);
        assert.equal(charts.names.length, 2, `two charts: ${JSON.stringify(charts)}`);
        assert.match(charts.names[0], /^Zgłoszenia dziennie od .+: razem 3, najwięcej 3 \(/);
        assert.match(charts.names[1], /^Zgłoszenia według dzielnic: 2 dzielnice z 18, najwięcej 2 \(Dzielnica XIII Podgórze\)\.$/);
        assert.ok(charts.captions.every((c) => c.includes('w tabeli')), 'the captions point to the tables');
        assert.ok(charts.rows.includes('Dzielnica XIII Podgórze 2'), charts.rows.join('\n'));
        assert.ok(charts.rows.includes('Dzielnica I Stare Miasto 1'), charts.rows.join('\n'));
        for (const resident of RESIDENTS) {
          assert.ok(!charts.text.includes(resident.email) && !charts.text.includes(resident.full_name), 'counts only');
        }
        // The form's title leads to its registrations.
        const list = await page.$eval(`main table a[href="/panel/formularze/${FORM}"]`, (a) => a.textContent);
        assert.match(list, /Ambasadora/);
        // The tables open from the keyboard.
        await tabTo(page, `section[aria-labelledby="wykresy-${FORM}"] details summary`);
        await page.keyboard.press('Enter');
        assert.equal(await page.$eval(`section[aria-labelledby="wykresy-${FORM}"] details`, (d) => d.open), true);
        await assertAxeClean(page, '/panel/ with a table open');
      } finally {
        await context.close();
      }
    });

    test('the charts fit a phone and a desktop, pass axe-core, and are photographed', async () => {
      fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
      const { context, page } = await openWindow(chromium.browser, true);
      try {
        await signIn(page, serve.origin, root, OFFICE[1]);
        for (const viewport of WIDTHS) {
          await page.setViewport(viewport);
          await page.goto(`${serve.origin}/panel/`, { waitUntil: 'load' });
          await assertAxeClean(page, `/panel/ at ${viewport.name}`);
          const [scrollWidth, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
          assert.ok(scrollWidth <= width, `/panel/ at ${viewport.name} is ${scrollWidth}px wide`);
          const svgWidth = await page.$eval('figure.chart svg', (svg) => svg.getBoundingClientRect().width);
          assert.ok(svgWidth > 300 && svgWidth <= width, `a chart ${svgWidth}px wide at ${viewport.name}`);
          await page.$$eval('details.chart-numbers', (all) => all.forEach((d) => { d.open = true; }));
          await assertAxeClean(page, `/panel/ at ${viewport.name}, tables open`);
          await page.$$eval('details.chart-numbers', (all) => all.forEach((d) => { d.open = false; }));
          await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `panel-dashboard-${viewport.name}.png`), fullPage: true });
        }
      } finally {
        await context.close();
      }
    });

    test('without JavaScript the charts and their tables are all there', async () => {
      const { context, page } = await openWindow(chromium.browser, false, PHONE);
      try {
        await signIn(page, serve.origin, root, OFFICE[0]);
        const charts = await readCharts(page);
        assert.equal(charts.names.length, 2);
        await tabTo(page, `section[aria-labelledby="wykresy-${FORM}"] details summary`);
        await page.keyboard.press('Space');
        assert.equal(await page.$eval(`section[aria-labelledby="wykresy-${FORM}"] details`, (d) => d.open), true);
        await assertAxeClean(page, '/panel/ without JavaScript');
      } finally {
        await context.close();
      }
    });
  });
}
