'use strict';
// Pre-verification of ideas in the staff workspace on `agora serve`, in
// headless Chromium.
//
//   AGORA_BIN=target/debug/agora node --test tests/browser/panel-ideas.test.js
//
// A copy of the Kraków site whose office may sign in runs under
// `agora serve --now "2020-03-01 10:00"` (the form of ideas open). Three
// residents send an idea through the forms' API and confirm; office adds
// an expert of a verifying unit at /panel/konta and gives one idea to
// another unit. With the keyboard alone, once with JavaScript and once
// without, office gives an idea to the expert's unit: first without
// choosing one (the browser stops it; without the browser's check the
// server refuses it, the error state), then with the unit. The expert sees
// only their unit's idea (another unit's is a 404) and answers it: first
// "needs changes" without the comment it needs (the error state, the form
// kept), then with it; the resident is e-mailed the answer with the
// private page's link, which opens and shows it. With JavaScript, office
// then sends the answer again (a second e-mail, a new link; both open the
// page). axe-core checks every page and state at 375 and 1280 pixels;
// screenshots go to target/screenshots/panel-ideas-*.png.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  launchBrowser, outboxMailsTo, startAgoraServe, withAgoraBin,
} = require('./lib');
const {
  DESKTOP, SMALL_PHONE, atBothWidths, openWindow, pressOn, sendAndConfirm, signIn, siteWithOffice,
  stateAtBothWidths, tabTo,
} = require('./panel-lib');

const AGORA_BIN = process.env.AGORA_BIN ? path.resolve(process.env.AGORA_BIN) : '';
const FORM = 'wstepna-weryfikacja';
const OFFICE = 'biuro@example.pl';
const EXPERT = 'ekspert@zzm.example.pl';
// The first two wait for the office, with and without JavaScript; the
// third goes to another unit than the expert's.
const RESIDENTS = ['anna@example.pl', 'jan@example.pl', 'ewa@example.pl'];
const COMMENT = 'Proszę wskazać dokładne miejsce ławek.';
// The widths: the narrowest phone and a desktop.
const WIDTHS = [SMALL_PHONE, DESKTOP];

const ideaPath = (reference) => `/panel/pomysly/${FORM}/${reference}`;

// Checks the page as it is at both widths (screenshot `name`), with
// JavaScript only: the pages are the same without it.
async function checkState(page, javascript, label, name) {
  if (javascript) await stateAtBothWidths(page, label, name, WIDTHS);
}

// Waits for the error summary to take focus (autofocus, once the page
// has loaded), as after every refused step.
async function summaryFocused(page) {
  await page.bringToFront();
  await page.waitForFunction(() => document.activeElement.matches('.error-summary'), { polling: 100, timeout: 10_000 });
}

// A resident sends an idea, and confirms it: the reference.
function sendIdea(origin, root, email) {
  return sendAndConfirm(origin, root, FORM, {
    title: 'Ławki na skwerze',
    district: 'XIII',
    place: 'Skwer przy ul. Długiej',
    description: 'Ławki i zieleń przy skwerze, żeby sąsiedzi mieli gdzie usiąść.',
    email,
  });
}

// Office, signed in on `page`, adds the unit's expert with the keyboard
// alone: a verifier (the role offered first) of the first unit.
async function addExpert(page, origin) {
  await page.goto(`${origin}/panel/konta`, { waitUntil: 'load' });
  await tabTo(page, '#new-email');
  await page.keyboard.type(EXPERT);
  assert.equal(await page.$eval('#new-role', (s) => s.value), 'verifier');
  await tabTo(page, '#new-unit');
  // A closed select takes the arrows: the first unit after the prompt.
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.$eval('#new-unit', (s) => s.value), 'zzm');
  assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 200);
  assert.match(await page.$eval('main', (m) => m.innerText), /ekspert@zzm\.example\.pl/);
}

// Office, signed in on `page`, gives idea `reference` to another unit
// than the expert's.
async function assignElsewhere(page, origin, reference) {
  await page.goto(origin + ideaPath(reference), { waitUntil: 'load' });
  await page.select('#jednostka', 'zdmk');
  assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 200);
}

// Office gives idea `reference` to the expert's unit with the keyboard
// alone, after a try without a unit.
async function assign(page, origin, reference, javascript) {
  await page.goto(`${origin}/panel/`, { waitUntil: 'load' });
  assert.equal(await pressOn(page, 'nav a[href="/panel/pomysly"]'), 200);
  if (javascript) await atBothWidths(page.browserContext(), origin, '/panel/pomysly', 'panel-ideas', WIDTHS);
  assert.equal(await pressOn(page, `main a[href="${ideaPath(reference)}"]`), 200);
  if (javascript) await atBothWidths(page.browserContext(), origin, ideaPath(reference), 'panel-ideas-office', WIDTHS);
  // No unit chosen: the browser keeps the page and takes focus to the
  // choice it requires.
  await tabTo(page, 'main form button[type="submit"]');
  await page.keyboard.press('Space');
  assert.ok(await page.$eval('#jednostka', (s) => s === document.activeElement && !s.validity.valid));
  // Without that check (an older browser, a crafted request) the server
  // refuses it.
  await page.$eval('#jednostka', (s) => s.removeAttribute('required'));
  assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 422);
  await summaryFocused(page);
  assert.equal(await page.$eval('#jednostka', (s) => s.getAttribute('aria-invalid')), 'true');
  await checkState(page, javascript, 'the assignment without a unit', 'panel-ideas-assign-error');
  // The summary's link leads to the choice.
  await tabTo(page, '.error-summary a[href="#jednostka"]');
  await page.keyboard.press('Enter');
  await tabTo(page, '#jednostka');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.$eval('#jednostka', (s) => s.value), 'zzm');
  assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 200);
  assert.match(await page.$eval('main', (m) => m.innerText), /Przekazano pomysł jednostce\./);
  await checkState(page, javascript, 'the assigned idea', 'panel-ideas-assigned');
}

// The expert's list holds their unit's idea `reference`, not those
// `withOffice` nor `elsewhere` (another unit's), whose page is the
// workspace's 404.
async function onlyTheirUnit(page, origin, reference, withOffice, elsewhere) {
  const listed = await page.$eval('main', (m) => m.innerHTML);
  assert.ok(listed.includes(ideaPath(reference)), 'the unit\'s idea is listed');
  for (const other of [...withOffice, elsewhere]) assert.ok(!listed.includes(other), `${other} is not listed`);
  const probe = await page.browserContext().newPage();
  try {
    const refused = await probe.goto(origin + ideaPath(elsewhere), { waitUntil: 'load' });
    assert.equal(refused.status(), 404, 'another unit\'s idea is not found');
  } finally {
    await probe.close();
  }
}

// The expert answers idea `reference`: first "needs changes" without the
// comment it needs (the error state), then with one.
async function answer(page, reference, javascript) {
  assert.equal(await pressOn(page, `main a[href="${ideaPath(reference)}"]`), 200);
  await checkState(page, javascript, 'the answer form', 'panel-ideas-expert');
  // Tab enters the outcomes at the first; the arrows choose among them.
  await tabTo(page, '#wynik-go_ahead');
  await page.keyboard.press('ArrowDown');
  assert.ok(await page.$eval('#wynik-needs_changes', (r) => r.checked));
  await tabTo(page, '#koszt');
  await page.keyboard.type('120 000');
  assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 422);
  await summaryFocused(page);
  assert.equal(await page.$eval('#koszt', (i) => i.value), '120 000', 'the form kept as typed');
  assert.ok(await page.$eval('#wynik-needs_changes', (r) => r.checked));
  assert.equal(await page.$eval('#komentarz', (t) => t.getAttribute('aria-invalid')), 'true');
  await checkState(page, javascript, 'the answer form with an error', 'panel-ideas-error');
  await tabTo(page, '.error-summary a[href="#komentarz"]');
  await page.keyboard.press('Enter');
  await tabTo(page, '#komentarz');
  await page.keyboard.type(COMMENT);
  assert.equal(await pressOn(page, 'main form button[type="submit"]', 'Space'), 200);
  assert.match(await page.$eval('main', (m) => m.innerText), /Zapisano odpowiedź\./);
  await checkState(page, javascript, 'the answered idea', 'panel-ideas-answered');
}

// The resident's e-mail tells the answer and links to the private page,
// which opens with its key and shows the comment.
async function residentIsTold(root, resident, reference) {
  const [mail] = outboxMailsTo(root, resident);
  assert.match(mail, /pomysł wymaga zmian/);
  assert.match(mail, /120 000 zł/);
  const link = mail.match(new RegExp(`http://\\S+/api/forms/${FORM}/pomysl/${reference}\\?klucz=[A-Za-z0-9_-]+`));
  assert.ok(link, `no private page's link in:\n${mail}`);
  const privatePage = await fetch(link[0]);
  assert.equal(privatePage.status, 200);
  assert.ok((await privatePage.text()).includes(COMMENT), 'the private page shows the comment');
}

// Office, signed in on `page`, sends the answer to idea `reference`
// again: the notice, and a second e-mail to `resident` with a link that
// opens the private page.
async function resend(page, origin, root, resident, reference) {
  await page.goto(origin + ideaPath(reference), { waitUntil: 'load' });
  const button = `main form[action="${ideaPath(reference)}/wyslij-ponownie"] button[type="submit"]`;
  assert.equal(await pressOn(page, button, 'Space'), 200);
  assert.match(await page.$eval('main', (m) => m.innerText), /Wysłano autorowi pomysłu ponownie/);
  await stateAtBothWidths(page, 'the answer sent again', 'panel-ideas-resent', WIDTHS);
  const links = outboxMailsTo(root, resident)
    .map((mail) => mail.match(/http:\/\/\S+\?klucz=[A-Za-z0-9_-]+/))
    .filter(Boolean)
    .map((link) => link[0]);
  assert.equal(links.length, 2, 'the answer e-mailed again');
  assert.notEqual(links[0], links[1], 'a new link');
  for (const link of links) assert.equal((await fetch(link)).status, 200, 'each link opens the page');
}

withAgoraBin(AGORA_BIN, 'ideas in the staff workspace', () => {
  describe('pre-verification of ideas in the workspace on agora serve', { timeout: 240_000 }, () => {
    let chromium;
    let root;
    let serve;
    const references = {};

    before(async () => {
      root = siteWithOffice('agora-panel-ideas-', [OFFICE]);
      serve = await startAgoraServe(AGORA_BIN, root, ['--now', '2020-03-01 10:00']);
      chromium = await launchBrowser();
      for (const email of RESIDENTS) references[email] = await sendIdea(serve.origin, root, email);
      const { context, page } = await openWindow(chromium.browser, false);
      try {
        await signIn(page, serve.origin, root, OFFICE, 'Space');
        await addExpert(page, serve.origin);
        await assignElsewhere(page, serve.origin, references[RESIDENTS[2]]);
      } finally {
        await context.close();
      }
    });

    after(async () => {
      if (chromium) await chromium.close();
      if (serve) serve.child.kill();
      if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    for (const javascript of [true, false]) {
      const resident = javascript ? RESIDENTS[0] : RESIDENTS[1];
      test(`office assigns and the unit answers with the keyboard alone, ${javascript ? 'with' : 'without'} JavaScript`, async () => {
        const reference = references[resident];
        const office = await openWindow(chromium.browser, javascript);
        try {
          await signIn(office.page, serve.origin, root, OFFICE, 'Space');
          await assign(office.page, serve.origin, reference, javascript);
          assert.deepEqual(office.errors, []);
        } finally {
          await office.context.close();
        }
        const expert = await openWindow(chromium.browser, javascript);
        try {
          await signIn(expert.page, serve.origin, root, EXPERT, 'Space');
          assert.match(await expert.page.$eval('main', (m) => m.innerText), /Czekających na odpowiedź: 1\./);
          await checkState(expert.page, javascript, 'the expert\'s dashboard', null);
          assert.equal(await pressOn(expert.page, 'main a[href="/panel/pomysly"]'), 200);
          // The first run leaves the second idea with the office.
          const withOffice = javascript ? [references[RESIDENTS[1]]] : [];
          await onlyTheirUnit(expert.page, serve.origin, reference, withOffice, references[RESIDENTS[2]]);
          if (javascript) await atBothWidths(expert.context, serve.origin, '/panel/pomysly', 'panel-ideas-unit', WIDTHS);
          await answer(expert.page, reference, javascript);
          assert.deepEqual(expert.errors, []);
        } finally {
          await expert.context.close();
        }
        await residentIsTold(root, resident, reference);
        if (!javascript) return;
        const again = await openWindow(chromium.browser, javascript);
        try {
          await signIn(again.page, serve.origin, root, OFFICE, 'Space');
          await resend(again.page, serve.origin, root, resident, reference);
          assert.deepEqual(again.errors, []);
        } finally {
          await again.context.close();
        }
      });
    }
  });
});
