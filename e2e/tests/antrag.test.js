// An application end to end in headless Chromium against `ozgo demo`: the
// online service "Blaue Karte EU" built from the real FIM schema S00000121
// is filled in completely — a code-list select and radios, a repeatable
// group grown with "hinzufügen" and shrunk with "entfernen", uploads —
// bad input is rejected with an error summary and fixed, the answers are
// checked (one changed through "Ändern") and the application is submitted.
// Every page is checked with axe (WCAG 2.1 A/AA), for one <h1>, its status
// and for console errors or failed requests. A second test adds a repeat
// entry with JavaScript switched off.

import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';

import { checkA11y, launchBrowser, watchPage } from '../lib/browser.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';

const TEST_TIMEOUT = 240_000;
const BASE = '/onlinedienste/blaue-karte-eu';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);

let server;
let browser;

before(
  async () => {
    server = await startServer({ demo: true, timeoutMs: 150_000 });
    browser = await launchBrowser();
  },
  { timeout: 200_000 },
);

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach((t) => printOutputOnFailure(t, server));

/** A browser tab that checks every page it arrives on. */
async function applicant(t, contextOptions = {}) {
  const context = await browser.newContext({ locale: 'de-DE', ...contextOptions });
  t.after(() => context.close());
  const page = await context.newPage();
  const watch = watchPage(page);
  let status = null;
  page.on('response', (r) => {
    const req = r.request();
    if (req.isNavigationRequest() && req.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) {
      status = r.status();
    }
  });
  const a = {
    page,
    async arrive({ status: want = 200, title, a11y = true } = {}) {
      await page.waitForLoadState('load');
      assert.equal(status, want, `${page.url()} answered ${status}, want ${want}`);
      if (title) assert.match(await page.title(), title, `title of ${page.url()}`);
      assert.equal(await page.locator('h1').count(), 1, `${page.url()} should have exactly one <h1>`);
      if (a11y && contextOptions.javaScriptEnabled !== false) await checkA11y(page);
      watch.assertClean(`loading problems on ${page.url()}`);
      return page;
    },
    async goto(path, expect) {
      await page.goto(new URL(path, server.url).href);
      return a.arrive(expect);
    },
    async click(locator, expect) {
      await Promise.all([page.waitForEvent('framenavigated'), locator.click()]);
      return a.arrive(expect);
    },
  };
  return a;
}

/** A sensible valid answer for a text input, from what the page says about it. */
async function answerFor(input) {
  const info = await input.evaluate((el) => {
    const hint = el.getAttribute('aria-describedby')
      ? el
          .getAttribute('aria-describedby')
          .split(/\s+/)
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' ')
      : '';
    const label = document.querySelector(`label[for="${el.id}"]`)?.textContent ?? '';
    return { hint, label, type: el.type, mode: el.inputMode, auto: el.autocomplete, max: el.maxLength };
  });
  if (/TT\.MM\.JJJJ/.test(info.hint)) return '31.12.2024';
  if (/Betrag in Euro/.test(info.hint)) return '65.000,00';
  if (info.mode === 'decimal') return '1,78';
  if (info.mode === 'numeric') return '3';
  if (info.type === 'email') return 'erika@example.de';
  if (info.auto === 'postal-code' || info.max === 5) return '72070';
  if (/Staat/.test(info.label)) return 'Frankreich';
  const v = 'Mustereintrag';
  return info.max > 0 ? v.slice(0, info.max) : v;
}

/** Answers every empty field of the current page. */
async function fillAll(page) {
  for (const input of await page.locator('main input[type=text], main input[type=email], main input[type=tel], main textarea').all()) {
    if ((await input.inputValue()) !== '' || (await input.getAttribute('readonly')) !== null) continue;
    await input.fill(await answerFor(input));
  }
  for (const select of await page.locator('main select').all()) {
    if ((await select.inputValue()) !== '') continue;
    const values = await select.locator('option').evaluateAll((os) => os.map((o) => o.value));
    await select.selectOption(values.includes('000') ? '000' : values[1]);
  }
  const groups = new Set(await page.locator('main input[type=radio]').evaluateAll((rs) => rs.map((r) => r.name)));
  for (const name of groups) {
    const radios = page.locator(`main input[type=radio][name="${name}"]`);
    if ((await radios.evaluateAll((rs) => rs.some((r) => r.checked)))) continue;
    await radios.first().check();
  }
  for (const file of await page.locator('main input[type=file]').all()) {
    if (await file.evaluate((el) => el.files.length > 0 || !!document.getElementById(`${el.id}-current`))) continue;
    await file.setInputFiles({ name: 'nachweis.pdf', mimeType: 'application/pdf', buffer: PDF });
  }
}

const heading = (page) => page.locator('h1').innerText();

it('fills in, checks and submits the Blaue Karte application', { timeout: TEST_TIMEOUT }, async (t) => {
  const a = await applicant(t);
  const { page } = a;
  await a.goto('/onlinedienste', { title: /^Onlinedienste – ozgo$/ });
  await a.click(page.getByRole('link', { name: 'Blaue Karte EU beantragen' }), { title: /^Blaue Karte EU beantragen/ });
  await a.click(page.getByRole('button', { name: 'Antrag starten' }), { title: /^Persönliche Angaben zum Antragsteller/ });

  // Page 1 with bad input: a word for the height, a text file as photo, no first name.
  assert.match(await page.locator('.kern-preline').innerText(), /Schritt 1 von 13/);
  await page.getByLabel('Familienname').fill('Mustermann');
  await page.getByLabel('Größe').fill('abc');
  await page.getByLabel('Lichtbild').setInputFiles({ name: 'foto.txt', mimeType: 'text/plain', buffer: Buffer.from('kein Bild') });
  await a.click(page.getByRole('button', { name: 'Speichern und weiter' }), { status: 422, title: /^Fehler: Persönliche Angaben/ });
  const summary = page.getByRole('alert');
  assert.match(await summary.innerText(), /Es gibt ein Problem/);
  assert.match(await summary.innerText(), /Bitte geben Sie „Vorname“ an\./);
  assert.match(await summary.innerText(), /Größe: Bitte geben Sie eine Zahl ein/);
  assert.match(await summary.innerText(), /Lichtbild: Diese Art von Datei ist hier nicht erlaubt/);
  assert.equal(await page.getByLabel('Familienname').inputValue(), 'Mustermann', 'typed answers are kept');
  assert.equal(await page.getByLabel('Größe').getAttribute('aria-invalid'), 'true');
  // The summary links lead to the fields.
  await summary.getByRole('link', { name: /Vorname/ }).click();
  assert.equal(await page.evaluate(() => location.hash), '#f-G00000630-F00000045');

  // Fix it: the code-list select and radios, a real photo.
  await page.getByLabel('Vorname').fill('Erika');
  await page.getByLabel('Größe').fill('1,68');
  await page.getByLabel('weiblich').check();
  await page.getByLabel('Staatsangehörigkeit').selectOption({ label: 'Indien' });
  await page.getByLabel('Lichtbild').setInputFiles({ name: 'foto.png', mimeType: 'image/png', buffer: PNG });
  await fillAll(page);
  await a.click(page.getByRole('button', { name: 'Speichern und weiter' }), { title: /^Anschrift des Antragstellers/ });

  // Walk the remaining pages; on "Angaben zur Arbeitsstelle" use the repeatable group.
  for (let step = 2; step <= 12; step++) {
    assert.match(await page.locator('.kern-preline').innerText(), new RegExp(`Schritt ${step} von 13`));
    if ((await heading(page)) === 'Angaben zur Arbeitsstelle') {
      const kanal = 'Kommunikationskanal';
      await page.getByLabel('Kommunikationskennung').first().fill('+49 7071 1234');
      await page.getByLabel(kanal).first().fill('Telefon');
      await a.click(page.getByRole('button', { name: 'Kommunikation (Juristische Person) hinzufügen' }), { title: /^Angaben zur Arbeitsstelle/ });
      assert.equal(await page.getByLabel(kanal).count(), 2, 'a second entry after "hinzufügen"');
      assert.equal(await page.getByLabel(kanal).first().inputValue(), 'Telefon', 'the first entry kept its answer');
      await a.click(page.getByRole('button', { name: 'Kommunikation (Juristische Person) 2 entfernen' }), { title: /^Angaben zur Arbeitsstelle/ });
      assert.equal(await page.getByLabel(kanal).count(), 1, 'one entry after "entfernen"');
      await a.click(page.getByRole('button', { name: 'Kommunikation (Juristische Person) hinzufügen' }), { title: /^Angaben zur Arbeitsstelle/ });
      await page.getByLabel(kanal).nth(1).fill('E-Mail');
      await page.getByLabel('Kommunikationskennung').nth(1).fill('personal@firma.example');
      await page.getByLabel('Jahresbruttobetrag der Einnahmen').fill('58.400,00');
    }
    await fillAll(page);
    const next = step === 12 ? /^Angaben prüfen und absenden/ : /./;
    await a.click(page.getByRole('button', { name: 'Speichern und weiter' }), { title: next });
    if (step < 12) assert.doesNotMatch(await page.title(), /^Fehler/, `page ${step} was not accepted`);
  }

  // Check the answers: German formats, code-list labels, both entries.
  const main = page.locator('main');
  let text = await main.innerText();
  assert.doesNotMatch(text, /Es gibt ein Problem/);
  for (const want of ['Mustermann', 'Indien', 'weiblich', '31.12.2024', '58.400,00 €', 'personal@firma.example', 'foto.png']) {
    assert.ok(text.includes(want), `check page shows ${want}`);
  }
  // Change the height through "Ändern" and come back to the check page.
  await a.click(page.getByRole('link', { name: 'Ändern Größe' }), { title: /^Persönliche Angaben/ });
  assert.match(page.url(), /\/antrag\/1\?pruefen=1#f-G00000630-F00001017$/);
  await page.getByLabel('Größe').fill('1,70');
  await a.click(page.getByRole('button', { name: 'Speichern und zur Übersicht' }), { title: /^Angaben prüfen und absenden/ });
  text = await main.innerText();
  assert.ok(text.includes('1,7'), 'the changed height is shown');

  await a.click(page.getByRole('button', { name: 'Antrag verbindlich absenden' }), { title: /^Ihr Antrag ist eingegangen/ });
  assert.match(page.url(), new RegExp(`${BASE}/antrag/eingang$`));
  text = await main.innerText();
  assert.match(text, /Ihre Vorgangsnummer:\s*\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
  assert.ok(text.includes('Mustermann'));

  // Back on the service page: the receipt is linked, the draft is gone.
  await a.goto(BASE, { title: /^Blaue Karte EU beantragen/ });
  assert.equal(await page.getByRole('link', { name: 'Eingangsbestätigung ansehen' }).count(), 1);
  await a.goto(`${BASE}/antrag/1`, { status: 404, title: /^Kein Antrag gefunden/ });
});

it('adds a repeat entry without JavaScript', { timeout: TEST_TIMEOUT }, async (t) => {
  const a = await applicant(t, { javaScriptEnabled: false });
  const { page } = a;
  await a.goto(BASE, { title: /^Blaue Karte EU beantragen/ });
  await a.click(page.getByRole('button', { name: 'Antrag starten' }), { title: /^Persönliche Angaben/ });
  await a.goto(`${BASE}/antrag/5`, { title: /^Angaben zur Arbeitsstelle/ });
  assert.equal(await page.getByLabel('ZeileAnschrift 1').count(), 1);
  await page.getByLabel('ZeileAnschrift 1').fill('10 Downing Street');
  await a.click(page.getByRole('button', { name: 'ZeileAnschrift hinzufügen' }), { title: /^Angaben zur Arbeitsstelle/ });
  assert.equal(await page.getByLabel(/^ZeileAnschrift \d/).count(), 3);
  assert.equal(await page.getByLabel('ZeileAnschrift 1').inputValue(), '10 Downing Street');
  // Pressing Enter in a field saves and goes on (the default button), it does not add entries.
  await page.getByLabel('Berufliche Tätigkeit').fill('Ingenieurin');
  await Promise.all([page.waitForEvent('framenavigated'), page.getByLabel('Berufliche Tätigkeit').press('Enter')]);
  await a.arrive({ status: 422, title: /^Fehler: Angaben zur Arbeitsstelle/ });
  assert.equal(await page.getByLabel(/^ZeileAnschrift \d/).count(), 3);
});
