'use strict';
// The office's view of the ideas' pipeline (/panel/pomysly/przebieg) on
// `agora serve`, in headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/panel-ideas-pipeline.test.js
//
// A copy of the Kraków site whose office may sign in runs under
// `agora serve --now "2020-03-01 10:00"` (the form of ideas open). Three
// residents send an idea through the forms' API and confirm; office adds
// an expert of a verifying unit and gives two ideas to the unit, whose
// expert answers one ("can go ahead"). Office then finds the pipeline:
// charts named by their numbers, tables with the same numbers, the waits
// in words, counts only. axe-core checks it at 1280 and 375 pixels; it
// never scrolls sideways; without JavaScript its tables are all there.
// Screenshot: target/screenshots/panel-ideas-pipeline.png.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { assertAxeClean, launchBrowser, startAgoraServe, withAgoraBin } = require('./lib');
const {
  DESKTOP, SCREENSHOTS_DIR, openWindow, sendAndConfirm, signIn, siteWithOffice,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const FORM = 'wstepna-weryfikacja';
const PIPELINE = '/panel/pomysly/przebieg';
const OFFICE = 'biuro-przebieg@example.pl';
const EXPERT = 'ekspert-przebieg@zzm.example.pl';
const TITLE = 'Ławki na skwerze';
const IDEAS = [
  { email: 'anna.przebieg@example.pl', district: 'XIII' },
  { email: 'jan.przebieg@example.pl', district: 'XIII' },
  { email: 'ewa.przebieg@example.pl', district: 'I' },
];
const NARROW = { name: '375x800', width: 375, height: 800, isMobile: true, hasTouch: true };

// Submits the form of the page open now and waits for the next page.
async function submit(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('main form button[type="submit"]')]);
  return page.$eval('main', (m) => m.innerText);
}

// Office adds the unit's expert and gives the ideas `references` to the unit.
async function assignIdeas(browser, origin, root, references) {
  const { context, page } = await openWindow(browser, true);
  try {
    await signIn(page, origin, root, OFFICE);
    await page.goto(`${origin}/panel/konta`, { waitUntil: 'load' });
    await page.type('#new-email', EXPERT);
    await page.select('#new-role', 'verifier');
    await page.select('#new-unit', 'zzm');
    await submit(page);
    for (const reference of references) {
      await page.goto(`${origin}/panel/pomysly/${FORM}/${reference}`, { waitUntil: 'load' });
      await page.select('#jednostka', 'zzm');
      assert.match(await submit(page), /Przekazano pomysł jednostce/);
    }
  } finally {
    await context.close();
  }
}

// The expert answers idea `reference`: it can go ahead.
async function answerIdea(browser, origin, root, reference) {
  const { context, page } = await openWindow(browser, true);
  try {
    await signIn(page, origin, root, EXPERT);
    await page.goto(`${origin}/panel/pomysly/${FORM}/${reference}`, { waitUntil: 'load' });
    await page.click('#wynik-go_ahead');
    await page.type('#komentarz', 'Można zgłaszać.');
    assert.match(await submit(page), /Zapisano odpowiedź/);
  } finally {
    await context.close();
  }
}

// What the pipeline of the form says: the SVG's names, the rows of the
// tables shown (not folded), the text.
function readPipeline(page) {
  return page.$eval(`section[aria-labelledby="przebieg-${FORM}"]`, (section) => {
    const rows = (table) => [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()).join(' | '));
    return {
      names: [...section.querySelectorAll('figure svg[role="img"]')].map((svg) => {
        const title = document.getElementById(svg.getAttribute('aria-labelledby'));
        return title ? title.textContent : '';
      }),
      shown: [...section.querySelectorAll('table')]
        .filter((table) => !table.closest('details'))
        .map((table) => ({ caption: table.caption.textContent, rows: rows(table) })),
      text: section.innerText,
    };
  });
}

// The shown table whose caption begins with `start`.
function tableOf(pipeline, start) {
  const table = pipeline.shown.find((t) => t.caption.startsWith(start));
  assert.ok(table, `no table "${start}…" in ${JSON.stringify(pipeline.shown.map((t) => t.caption))}`);
  return table;
}

function assertNumbers(pipeline) {
  assert.match(pipeline.text, /Potwierdzone: 3 pomysły\. Czeka na potwierdzenie autora: 0 pomysłów\./);
  const outcomes = tableOf(pipeline, 'Pomysły według dzielnic i ostatniej odpowiedzi');
  assert.ok(outcomes.rows.includes('Dzielnica XIII Podgórze | 2 | 1 | 0 | 0 | 0 | 1'), outcomes.rows.join('\n'));
  assert.ok(outcomes.rows.includes('Dzielnica I Stare Miasto | 1 | 0 | 0 | 0 | 0 | 1'), outcomes.rows.join('\n'));
  assert.ok(outcomes.rows.includes('Razem | 3 | 1 | 0 | 0 | 0 | 2'), outcomes.rows.join('\n'));
  const stages = tableOf(pipeline, 'Pomysły według dzielnic i etapu');
  assert.ok(stages.rows.includes('Razem | 3 | 1 | 1 | 0 | 1 | 0'), stages.rows.join('\n'));
  const waits = tableOf(pipeline, 'Czas oczekiwania na odpowiedź jednostki');
  assert.equal(waits.rows.length, 2, waits.rows.join('\n'));
  assert.match(pipeline.text, /Z odpowiedzią jednostki: 1 pomysł\. Od potwierdzenia do pierwszej odpowiedzi: mediana 0 dni/);
  assert.match(pipeline.text, /Bez odpowiedzi: 2 pomysły\. Czas oczekiwania do dziś: mediana 0 dni/);
  for (const { email } of IDEAS) assert.ok(!pipeline.text.includes(email), 'no address');
  assert.ok(!pipeline.text.includes(TITLE), 'no title');
}

withAgoraBin(AGORA_BIN, 'the ideas\' pipeline in Chromium', () => {
  describe('the ideas\' pipeline on agora serve', { timeout: 240_000 }, () => {
    let chromium;
    let root;
    let serve;

    before(async () => {
      root = siteWithOffice('agora-panel-ideas-pipeline-', [OFFICE]);
      serve = await startAgoraServe(AGORA_BIN, root, ['--no-watch', '--now', '2020-03-01 10:00']);
      chromium = await launchBrowser();
      const references = [];
      for (const { email, district } of IDEAS) {
        references.push(await sendAndConfirm(serve.origin, root, FORM, {
          title: TITLE,
          district,
          place: 'Skwer przy ul. Długiej',
          description: 'Ławki i zieleń przy skwerze, żeby sąsiedzi mieli gdzie usiąść.',
          email,
        }));
      }
      await assignIdeas(chromium.browser, serve.origin, root, [references[0], references[2]]);
      await answerIdea(chromium.browser, serve.origin, root, references[0]);
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    test('office sees ideas by district and outcome, and the waits, at 1280 and 375 pixels', async () => {
      fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
      const { context, page } = await openWindow(chromium.browser, true);
      try {
        await signIn(page, serve.origin, root, OFFICE);
        for (const viewport of [DESKTOP, NARROW]) {
          await page.setViewport(viewport);
          await page.goto(`${serve.origin}${PIPELINE}`, { waitUntil: 'load' });
          const pipeline = await readPipeline(page);
          assertNumbers(pipeline);
          assert.deepEqual(pipeline.names, [
            'Pomysły z odpowiedzią „pomysł może być zgłoszony” według dzielnic: 1 dzielnica z 18, '
              + 'najwięcej 1 (Dzielnica XIII Podgórze).',
            'Pomysły bez odpowiedzi według dzielnic: 2 dzielnice z 18, najwięcej 1 (Dzielnica I Stare Miasto).',
          ]);
          const [scrollWidth, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
          assert.ok(scrollWidth <= width, `${PIPELINE} at ${viewport.name} is ${scrollWidth}px wide`);
          await assertAxeClean(page, `${PIPELINE} at ${viewport.name}`);
          await page.$$eval('details.chart-numbers', (all) => all.forEach((d) => { d.open = true; }));
          await assertAxeClean(page, `${PIPELINE} at ${viewport.name}, tables open`);
          await page.$$eval('details.chart-numbers', (all) => all.forEach((d) => { d.open = false; }));
          const name = viewport === DESKTOP ? 'panel-ideas-pipeline.png' : `panel-ideas-pipeline-${viewport.name}.png`;
          await page.screenshot({ path: path.join(SCREENSHOTS_DIR, name), fullPage: true });
        }
      } finally {
        await context.close();
      }
    });

    test('without JavaScript the tables are all there', async () => {
      const { context, page } = await openWindow(chromium.browser, false, NARROW);
      try {
        await signIn(page, serve.origin, root, OFFICE, 'Space');
        await page.goto(`${serve.origin}${PIPELINE}`, { waitUntil: 'load' });
        assertNumbers(await readPipeline(page));
        await assertAxeClean(page, `${PIPELINE} without JavaScript`);
      } finally {
        await context.close();
      }
    });
  });
});
