'use strict';
// An idea's private page (`/api/forms/wstepna-weryfikacja/pomysl/<reference>
// ?klucz=<key>`) on `agora serve`, in headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/idea-page.test.js
//
// A copy of the Kraków site whose office may sign in runs under
// `agora serve --now "2020-03-01 10:00"` (the form of ideas open). Two
// residents send an idea and confirm it; office adds an expert of a
// verifying unit and gives both ideas to that unit, whose expert answers
// "needs changes" with a comment and a cost estimate. Then, once with
// JavaScript and once without, a resident opens the private page from the
// link of their e-mail in the outbox: the history (the Polish date, the
// unit's name, the outcome, the comment, the cost), and the reply with the
// keyboard alone: first with the title emptied (the 422 page, its error
// summary focused, the values kept), then a good one (the page shows the
// revision and no form any more, the unit's expert is e-mailed). The same
// form sent again from a second tab is refused with a Polish page, and a
// wrong key opens the Polish not-found page. axe-core checks the page,
// its error state and the page after the reply at 375 and 1280 pixels;
// screenshots go to target/screenshots/idea-page*.png.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  launchBrowser, outboxMailsTo, startAgoraServe, withAgoraBin,
} = require('./lib');
const {
  DESKTOP, SCREENSHOTS_DIR, SMALL_PHONE, openWindow, pressOn, sendAndConfirm, signIn,
  siteWithOffice, stateAtBothWidths, tabTo,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const FORM = 'wstepna-weryfikacja';
const OFFICE = 'biuro@example.pl';
const EXPERT = 'ekspert@zzm.example.pl';
// One idea for the run with JavaScript, one for the run without: each
// takes one reply.
const RESIDENTS = { true: 'anna@example.pl', false: 'jan@example.pl' };
const UNIT_NAME = 'Zarząd Zieleni Miejskiej (przykład)';
const COMMENT = 'Proszę wskazać, po której stronie skweru mają stanąć ławki.';
const NEW_TITLE = 'Ławki po północnej stronie skweru';
const WIDTHS = [SMALL_PHONE, DESKTOP];

const ideaPath = (reference) => `/panel/pomysly/${FORM}/${reference}`;

// A resident sends an idea, and confirms it: the reference.
function sendIdea(origin, root, email) {
  return sendAndConfirm(origin, root, FORM, {
    title: 'Ławki przy skwerze',
    district: 'XIII',
    place: 'Skwer przy ul. Długiej',
    description: 'Ławki i zieleń przy skwerze, żeby sąsiedzi mieli gdzie usiąść.',
    cost: '40000',
    email,
  });
}

// Sends the form of `page` (the staff's steps: not what this file tests,
// so the mouse will do): the status of the page it leads to.
async function submit(page) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click('main form button[type="submit"]'),
  ]);
  return response.status();
}

// The staff's part, in a window without JavaScript: office adds the
// expert of the unit `zzm` and gives it the ideas `references`, and the
// expert answers each "needs changes".
async function answerIdeas(browser, origin, root, references) {
  const office = await openWindow(browser, false);
  try {
    await signIn(office.page, origin, root, OFFICE);
    await office.page.goto(`${origin}/panel/konta`, { waitUntil: 'load' });
    await office.page.type('#new-email', EXPERT);
    await office.page.select('#new-role', 'verifier');
    await office.page.select('#new-unit', 'zzm');
    assert.equal(await submit(office.page), 200, 'the expert added');
    for (const reference of references) {
      await office.page.goto(origin + ideaPath(reference), { waitUntil: 'load' });
      await office.page.select('#jednostka', 'zzm');
      assert.equal(await submit(office.page), 200, `${reference} given to the unit`);
    }
  } finally {
    await office.context.close();
  }
  const expert = await openWindow(browser, false);
  try {
    await signIn(expert.page, origin, root, EXPERT);
    for (const reference of references) {
      await expert.page.goto(origin + ideaPath(reference), { waitUntil: 'load' });
      await expert.page.click('#wynik-needs_changes');
      await expert.page.type('#komentarz', COMMENT);
      await expert.page.type('#koszt', '120000');
      assert.equal(await submit(expert.page), 200, `${reference} answered`);
    }
  } finally {
    await expert.context.close();
  }
}

// The link to the private page of `reference` in the newest e-mail to
// `resident`.
function privateLink(root, resident, reference) {
  const [mail] = outboxMailsTo(root, resident);
  const link = (mail || '').match(new RegExp(`http://\\S+/api/forms/${FORM}/pomysl/${reference}\\?klucz=[A-Za-z0-9_-]+`));
  assert.ok(link, `no private page's link to ${resident}:\n${mail}`);
  return link[0];
}

const mainText = (page) => page.$eval('main', (m) => m.innerText);
const fieldValue = (page, name) => page.$eval(`#field-${name}`, (f) => f.value);

// Checks the page as it is at both widths (screenshots `name-<width>`
// with JavaScript, where `name` is given).
function checkState(page, javascript, label, name) {
  return stateAtBothWidths(page, `${label}, ${javascript ? 'with' : 'without'} JavaScript`, javascript ? name : null, WIDTHS);
}

// The page as the answer left it: the idea, the unit's answer and the
// reply's form.
async function showsTheAnswer(page) {
  assert.equal(await page.title(), 'Twój pomysł');
  const text = await mainText(page);
  assert.match(text, /Twój pomysł: Ławki przy skwerze/);
  assert.match(text, /Dzielnica XIII Podgórze/, 'a choice by its label');
  assert.ok(text.includes(`1 marca 2020: ${UNIT_NAME}`), `the date and the unit in:\n${text}`);
  assert.match(text, /pomysł wymaga zmian/);
  assert.ok(text.includes(COMMENT), 'the comment');
  assert.match(text, /120\s000\szł/, 'the cost estimate');
  assert.ok(!text.includes('@example.pl'), 'no e-mail address on the page');
  assert.equal(await fieldValue(page, 'title'), 'Ławki przy skwerze', 'the form holds the idea as it stands');
}

// The reply with the keyboard alone: the place amended and the title
// emptied, refused (the error summary focused, what was typed kept).
async function replyWithAMistake(page) {
  await tabTo(page, '#field-place');
  await page.keyboard.press('End');
  await page.keyboard.type(', strona północna');
  await tabTo(page, '#field-title');
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  assert.equal(await pressOn(page, 'main form button[type="submit"]'), 422);
  await page.waitForFunction(() => document.activeElement.matches('.error-summary'), { polling: 100, timeout: 5000 });
  assert.equal(await page.title(), 'Błąd: Twój pomysł');
  assert.match(await page.$eval('.error-summary', (s) => s.innerText), /Wpisz tytuł pomysłu\./);
  assert.equal(await page.$eval('#field-title', (f) => f.getAttribute('aria-invalid')), 'true');
  assert.equal(await fieldValue(page, 'title'), '');
  assert.equal(await fieldValue(page, 'place'), 'Skwer przy ul. Długiej, strona północna', 'the typed place kept');
  assert.equal(await fieldValue(page, 'cost'), '40000');
}

// The summary's link leads to the title; with it typed the reply goes,
// and the page shows it instead of the form.
async function replyWell(page, link) {
  await tabTo(page, '.error-summary a[href="#field-title"]');
  await page.keyboard.press('Enter');
  await tabTo(page, '#field-title');
  await page.keyboard.type(NEW_TITLE);
  assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 200);
  assert.equal(page.url(), link, 'back on the page');
  const text = await mainText(page);
  assert.match(text, /1 marca 2020: Twoja poprawiona wersja/);
  assert.ok(text.includes(`Twój pomysł: ${NEW_TITLE}`), 'the revised title heads the page');
  assert.match(text, /Skwer przy ul\. Długiej, strona północna/);
  assert.match(text, /poprawiony, czeka na odpowiedź jednostki/);
  assert.match(text, /Jednostka oceni Twoją poprawioną wersję\. Gdy odpowie, napiszemy do Ciebie\./);
  assert.equal(await page.$('main form'), null, 'no reply form any more');
}

// The form a second tab still shows, sent after the reply: refused.
async function secondReplyRefused(tab) {
  assert.equal(await pressOn(tab, 'main form button[type="submit"]'), 409);
  assert.equal(await tab.$eval('html', (h) => h.lang), 'pl');
  assert.match(await mainText(tab), /można odpowiedzieć tylko raz/);
  assert.ok(await tab.$('main a[href*="klucz="]'), 'the way back to the page');
}

// The link with another key opens nothing, and says so in Polish.
async function wrongKeyNotFound(page, link) {
  const wrong = link.replace(/klucz=[A-Za-z0-9_-]+/, `klucz=${'A'.repeat(43)}`);
  const response = await page.goto(wrong, { waitUntil: 'load' });
  assert.equal(response.status(), 404);
  assert.match(await page.$eval('h1', (h) => h.textContent), /Nie znaleźliśmy pomysłu/);
}

withAgoraBin(AGORA_BIN, 'an idea\'s private page', () => {
  describe('an idea\'s private page on agora serve', { timeout: 240_000 }, () => {
    let chromium;
    let root;
    let serve;
    const references = {};

    before(async () => {
      root = siteWithOffice('agora-idea-page-', [OFFICE]);
      serve = await startAgoraServe(AGORA_BIN, root, ['--now', '2020-03-01 10:00']);
      chromium = await launchBrowser();
      for (const [javascript, email] of Object.entries(RESIDENTS)) {
        references[javascript] = await sendIdea(serve.origin, root, email);
      }
      await answerIdeas(chromium.browser, serve.origin, root, Object.values(references));
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    for (const javascript of [true, false]) {
      test(`the resident reads the answer and replies once with the keyboard alone, ${javascript ? 'with' : 'without'} JavaScript`, async () => {
        const resident = RESIDENTS[javascript];
        const link = privateLink(root, resident, references[javascript]);
        const { context, page, errors } = await openWindow(chromium.browser, javascript, DESKTOP);
        try {
          const opened = await page.goto(link, { waitUntil: 'load' });
          assert.equal(opened.status(), 200);
          await showsTheAnswer(page);
          await checkState(page, javascript, 'the private page', 'idea-page');
          if (javascript) {
            await page.setViewport({ width: DESKTOP.width, height: DESKTOP.height });
            await page.screenshot({ path: path.join(SCREENSHOTS_DIR, 'idea-page.png'), fullPage: true });
          }
          // The same page in a second tab, to send its form again later.
          const tab = await context.newPage();
          await tab.setJavaScriptEnabled(javascript);
          await tab.goto(link, { waitUntil: 'load' });
          // The browser focuses (autofocus) only in the tab in front.
          await page.bringToFront();

          await replyWithAMistake(page);
          await checkState(page, javascript, 'the reply with an error', 'idea-page-error');
          await replyWell(page, link);
          await checkState(page, javascript, 'the page after the reply', 'idea-page-replied');
          const [told] = outboxMailsTo(root, EXPERT);
          assert.match(told, /poprawioną wersję/, 'the unit\'s expert is told');
          assert.ok(!told.includes(resident), 'naming no one');

          await secondReplyRefused(tab);
          await checkState(tab, javascript, 'the second reply refused', null);
          await wrongKeyNotFound(page, link);
          await checkState(page, javascript, 'a wrong key', null);
          assert.deepEqual(errors, []);
        } finally {
          await context.close();
        }
      });
    }
  });
});
