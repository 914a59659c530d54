// Deferred fees and the administration of fees, against `ozgo demo` and
// its payment simulator (ozgo paysim) in headless Chromium.
//
//   - The demo's "Blaue Karte EU beantragen" costs 100 € (§ 45 AufenthV),
//     requested after the Bescheid: the citizen submits without paying
//     (the check page says so); the clerk decides and requests the fee
//     with the Bescheid; the citizen gets a Zahlungsaufforderung in the
//     Postfach, follows its link, cancels at the provider (→ the retry
//     page), then pays; "bezahlt" with the transaction shows in "Meine
//     Anträge" and in the clerk's case view. Logged out → login; another
//     citizen → 404.
//   - A tenant admin sets a fixed fee and the provider in /verwaltung
//     (with the connection test), sees the fee as citizens will; invalid
//     input shows German errors and keeps the other fields.
//
// ozgo's pages are checked with axe (WCAG 2.1 A/AA) on arrival; the
// simulator's pages are a test tool and only driven.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { chooseOrt, fillAllPages } from '../lib/formfill.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const SERVICE = '/onlinedienste/blaue-karte-eu';
const SERVICE_TITLE = 'Blaue Karte EU beantragen';
const CHECK_TITLE = 'Angaben prüfen und absenden';
const FEE = '100,00 €';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let server;
let browser;
let paysimURL;

before(
  async () => {
    server = await startServer({ demo: true, timeoutMs: 150_000, env: { OZGO_PAYMENT_RECHECK: '1s' } });
    paysimURL = server.paysimURL;
    browser = await launchBrowser();
  },
  { timeout: 200_000 },
);

after(async () => {
  await browser?.close();
  await server?.stop();
});

afterEach((t) => printOutputOnFailure(t, server));

/** A citizen logged in through the test IdP as the test person `person`. */
async function citizen(t, person) {
  const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
  const { page } = v;
  await v.goto('/anmelden', { title: 'Anmelden – ozgo' });
  await page.getByRole('button', { name: 'Anmelden mit BundID' }).click();
  await page.waitForURL((u) => u.href.startsWith(server.devidpURL));
  if (person) await page.locator(`#person-${person}`).check();
  await page.getByRole('button', { name: 'Als Testperson anmelden' }).click();
  await page.waitForURL((u) => u.href.startsWith(server.url));
  await v.arrive({ title: 'Mein Konto – ozgo', url: /\/konto$/ });
  return v;
}

async function staff(t, email, password) {
  const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
  const { page } = v;
  await v.goto('/mitarbeiter/anmelden', { title: 'Anmeldung für Mitarbeitende – ozgo' });
  await page.getByLabel('E-Mail-Adresse').fill(email);
  await page.getByLabel('Passwort').fill(password);
  await v.click(page.getByRole('button', { name: 'Anmelden', exact: true }), { title: 'Mein Konto – ozgo' });
  return v;
}

/** Clicks `button` on an ozgo page and expects the simulator's payment page. */
async function toProvider(v, button) {
  const { page } = v;
  await Promise.all([page.waitForURL((u) => u.href.startsWith(`${paysimURL}/pay/`), { timeout: 15_000 }), button.click()]);
  await page.getByRole('heading', { level: 1, name: 'Zahlung (TESTSYSTEM)' }).waitFor();
  assert.match(await page.locator('tfoot').innerText(), new RegExp(FEE));
  return page.url();
}

async function decide(v, outcome, expect) {
  const { page } = v;
  await Promise.all([page.waitForURL((u) => u.href.startsWith(server.url), { timeout: 15_000 }), page.getByRole('button', { name: outcome }).click()]);
  return v.arrive(expect);
}

describe('deferred fee', { timeout: 300_000 }, () => {
  it('submitted unpaid → requested with the Bescheid → Zahlungsaufforderung → cancel, retry, paid → bezahlt for both sides', async (t) => {
    // --- The citizen applies; the fee comes after the Bescheid. ---
    const c = await citizen(t);
    const cp = c.page;
    await c.goto(SERVICE, { title: `${SERVICE_TITLE} – ozgo` });
    await Promise.all([cp.waitForURL(/\/antrag\/1$/), cp.getByRole('button', { name: 'Antrag starten' }).click()]);
    await cp.waitForLoadState('load');
    await cp.getByLabel('Lichtbild', { exact: true }).setInputFiles({ name: 'bild.png', mimeType: 'image/png', buffer: PNG });
    await fillAllPages(c, SERVICE);
    await c.arrive({ title: `${CHECK_TITLE} – ozgo`, url: /\/antrag\/pruefen$/ });
    await chooseOrt(c, { query: 'Tübingen', name: 'Tübingen, Universitätsstadt', checkTitle: `${CHECK_TITLE} – ozgo` });
    const hint = await cp.locator('#gebuehr-hinweis').innerText();
    assert.match(hint, new RegExp(`${FEE}.*wird nach dem Bescheid erhoben`));
    assert.match(hint, /§ 45 Aufenthaltsverordnung/);
    await c.click(cp.getByRole('button', { name: 'Antrag verbindlich absenden' }), { title: 'Ihr Antrag ist eingegangen – ozgo' });
    const reference = (await cp.locator('main').innerText()).match(/(\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b/)?.[1];
    assert.ok(reference, 'the receipt names the Vorgangsnummer');

    // --- The clerk decides and requests the fee. ---
    const k = await staff(t, 'sachbearbeitung@tuebingen.example', 'demo-sachbearbeitung-2026');
    const kp = k.page;
    await k.goto('/sachbearbeitung', { title: 'Sachbearbeitung – ozgo' });
    await k.click(kp.getByRole('link', { name: reference }), { title: `Vorgang ${reference} – ozgo` });
    const caseURL = new URL(kp.url()).pathname;
    const caseID = caseURL.split('/').pop();
    assert.match(await kp.locator('#fall-gebuehr').innerText(), new RegExp(FEE));
    await kp.getByLabel('bewilligt').check();
    const request = kp.getByLabel(`Gebühr von ${FEE} mit dem Bescheid anfordern`, { exact: false });
    assert.ok(await request.isChecked(), 'the fee is requested by default');
    // A wrong due date: German error, nothing sent, the Bescheid text kept.
    await kp.getByLabel('Zahlungsfrist').fill('31.02.2026');
    await k.click(kp.getByRole('button', { name: 'Bescheid erstellen und zustellen' }), { title: `Fehler: Vorgang ${reference} – ozgo`, status: 422 });
    assert.match(await kp.getByRole('alert').innerText(), /Bitte geben Sie die Zahlungsfrist als Datum an/);
    assert.match(await kp.locator('#bescheidtext').inputValue(), /wird bewilligt/);
    const due = new Date(Date.now() + 14 * 86400_000);
    const dueText = `${String(due.getDate()).padStart(2, '0')}.${String(due.getMonth() + 1).padStart(2, '0')}.${due.getFullYear()}`;
    await kp.getByLabel('Zahlungsfrist').fill(dueText);
    await k.click(kp.getByRole('button', { name: 'Bescheid erstellen und zustellen' }), { title: `Vorgang ${reference} – ozgo` });
    assert.ok((await kp.locator('main').innerText()).includes('Der Bescheid ist erstellt und zugestellt.'));
    assert.equal(await kp.locator('#fall-zahlung-status').innerText(), 'offen');

    // --- Logged out: login; another citizen: 404. ---
    const anon = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    await anon.goto(`/antraege/${caseID}/bezahlen`, { title: 'Anmelden – ozgo', url: /\/anmelden\?/ });
    const other = await citizen(t, 'mehmet');
    await other.goto(`/antraege/${caseID}/bezahlen`, { title: 'Seite nicht gefunden – ozgo', status: 404 });

    // --- The citizen reads the Zahlungsaufforderung and pays. ---
    await c.goto('/postfach', { title: 'Postfach – ozgo' });
    await c.click(cp.getByRole('link', { name: /Zahlungsaufforderung/ }).first(), { title: `Zahlungsaufforderung – ${FEE} – ozgo` });
    const body = await cp.locator('main').innerText();
    assert.match(body, /Kassenzeichen: TUE-ABH-/);
    assert.ok(body.includes(`Zahlbar bis: ${dueText}`), body);
    await c.click(cp.getByRole('link', { name: 'Gebühr online bezahlen' }), { title: 'Gebühr bezahlen – ozgo', url: new RegExp(`/antraege/${caseID}/bezahlen$`) });
    assert.match(await cp.locator('#gebuehr tfoot').innerText(), new RegExp(FEE));

    await toProvider(c, cp.getByRole('button', { name: `${FEE} bezahlen` }));
    await decide(c, 'Zahlung abbrechen', { title: 'Die Zahlung wurde abgebrochen – ozgo', url: new RegExp(`/antraege/${caseID}/bezahlen$`) });
    await cp.getByText('Es wurde kein Geld abgebucht.', { exact: false }).first().waitFor();
    assert.equal(await cp.locator('#zahlung-status').innerText(), 'abgebrochen');

    const payURL = await toProvider(c, cp.getByRole('button', { name: 'Erneut bezahlen' }));
    const transaction = payURL.split('/pay/')[1];
    await decide(c, 'Zahlung erfolgreich', { title: 'Gebühr bezahlt – ozgo', url: new RegExp(`/antraege/${caseID}/bezahlen$`) });
    assert.equal(await cp.locator('#zahlung-status').innerText(), 'bezahlt');
    assert.equal(await cp.locator('#zahlung-transaktion').innerText(), transaction);

    // A reload of the page or the return changes nothing.
    await c.goto(`/antraege/${caseID}/bezahlen`, { title: 'Gebühr bezahlt – ozgo' });

    await c.goto('/antraege', { title: 'Meine Anträge – ozgo' });
    const mine = await cp.locator('main').innerText();
    assert.match(mine, new RegExp(`Gebühr\\s+bezahlt – ${FEE}`));
    assert.ok(mine.includes(transaction), 'the status monitor names the transaction');

    // --- The clerk sees it paid. ---
    await k.goto(caseURL, { title: `Vorgang ${reference} – ozgo` });
    assert.equal(await kp.locator('#fall-zahlung-status').innerText(), 'bezahlt');
    assert.equal(await kp.locator('#fall-zahlung-transaktion').innerText(), transaction);
  });
});

describe('fees in the administration', { timeout: 200_000 }, () => {
  it('a tenant admin sets a fixed fee and the provider; bad input keeps the other fields', async (t) => {
    const a = await staff(t, 'verwaltung@tuebingen.example', 'demo-verwaltung-2026');
    const { page } = a;
    await a.goto('/verwaltung', { title: 'Verwaltung – ozgo' });
    await a.click(page.getByRole('link', { name: 'Gebühren und Bezahldienst' }), { title: 'Gebühren und Bezahldienst – ozgo' });
    await a.click(page.getByRole('link', { name: 'Beschäftigung einer schwangeren oder stillenden Frau mitteilen' }), {
      title: 'Gebühr: Beschäftigung einer schwangeren oder stillenden Frau mitteilen – ozgo',
    });

    // Bad input: a non-number amount and a bad prefix; the rest is kept.
    await page.getByRole('radio', { name: 'Bezahlen vor dem Absenden (Pflicht)' }).check();
    await page.getByRole('radio', { name: 'Fester Betrag' }).check();
    await page.getByLabel('Betrag in Euro (fester Betrag oder Betrag je Eintrag)').fill('zwölf');
    await page.getByLabel('Bezeichnung der Gebühr').fill('Bearbeitungsgebühr');
    await page.getByLabel('Rechtsgrundlage').fill('§ 1 Gebührensatzung Tübingen');
    await page.getByLabel('Haushaltsstelle').fill('1.1100.4711');
    await page.getByLabel('Präfix des Kassenzeichens').fill('TÜ BINGEN');
    await a.click(page.getByRole('button', { name: 'Speichern' }), {
      title: 'Fehler: Gebühr: Beschäftigung einer schwangeren oder stillenden Frau mitteilen – ozgo',
      status: 422,
    });
    const alert = await page.getByRole('alert').innerText();
    assert.match(alert, /Bitte geben Sie einen Betrag in Euro an, zum Beispiel 93,00\./);
    assert.match(alert, /bis zu 12 Zeichen aus Buchstaben, Ziffern und Bindestrichen/);
    assert.equal(await page.locator('#betrag').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Bezeichnung der Gebühr').inputValue(), 'Bearbeitungsgebühr');
    assert.equal(await page.getByLabel('Rechtsgrundlage').inputValue(), '§ 1 Gebührensatzung Tübingen');
    assert.equal(await page.getByLabel('Haushaltsstelle').inputValue(), '1.1100.4711');
    assert.ok(await page.getByRole('radio', { name: 'Fester Betrag' }).isChecked());

    // Fixed.
    await page.getByLabel('Betrag in Euro (fester Betrag oder Betrag je Eintrag)').fill('12,50');
    await page.getByLabel('Präfix des Kassenzeichens').fill('TUE-MU');
    await a.click(page.getByRole('button', { name: 'Speichern' }), { title: 'Gebühr: Beschäftigung einer schwangeren oder stillenden Frau mitteilen – ozgo' });
    assert.ok((await page.locator('main').innerText()).includes('Die Gebühr ist gespeichert.'));
    assert.equal(
      await page.locator('#vorschau').innerText(),
      'Gebühr: 12,50 € – zu bezahlen vor dem Absenden des Antrags. Rechtsgrundlage: § 1 Gebührensatzung Tübingen',
    );
    await a.goto('/verwaltung/zahlung', { title: 'Gebühren und Bezahldienst – ozgo' });
    assert.match(await page.locator('#gebuehren').innerText(), /Gebühr: 12,50 €.*eigene/s);

    // The provider: bad URL first, then the simulator, tested and saved.
    await a.click(page.getByRole('link', { name: 'Bezahldienst einrichten oder ändern' }), { title: 'Bezahldienst (XBezahldienste) – ozgo' });
    await page.getByLabel('Token-URL (OAuth 2.0)').fill('kein-link');
    await page.getByLabel('API-URL').fill(`${paysimURL}/xbezahldienste/v1`);
    await page.getByLabel('Client-ID').fill('ozgo-demo');
    await page.getByLabel('Client-Secret').fill('falsch');
    await page.getByLabel('originatorId').fill('tuebingen');
    await page.getByLabel('endPointId').fill('08416041');
    await a.click(page.getByRole('button', { name: 'Verbindung testen' }), { title: 'Fehler: Bezahldienst (XBezahldienste) – ozgo', status: 422 });
    assert.match(await page.getByRole('alert').innerText(), /vollständige Adresse/);
    assert.equal(await page.getByLabel('Client-ID').inputValue(), 'ozgo-demo');
    assert.equal(await page.getByLabel('Client-Secret').inputValue(), '', 'the secret is never sent back');

    await page.getByLabel('Token-URL (OAuth 2.0)').fill(`${paysimURL}/oauth/token`);
    await page.getByLabel('Client-Secret').fill('falsch');
    await a.click(page.getByRole('button', { name: 'Verbindung testen' }), { title: 'Fehler: Bezahldienst (XBezahldienste) – ozgo', status: 422 });
    assert.match(await page.locator('#test').innerText(), /Anmeldung abgelehnt/);

    const secret = await secretOfDemo();
    await page.getByLabel('Client-Secret').fill(secret);
    await a.click(page.getByRole('button', { name: 'Verbindung testen' }), { title: 'Bezahldienst (XBezahldienste) – ozgo' });
    assert.match(await page.locator('#test').innerText(), /Verbindung erfolgreich/);
    await page.getByLabel('Client-Secret').fill(secret);
    await a.click(page.getByRole('button', { name: 'Speichern' }), { title: 'Bezahldienst (XBezahldienste) – ozgo' });
    assert.ok((await page.locator('main').innerText()).includes('Der Bezahldienst ist gespeichert.'));
    assert.equal(await page.getByLabel('Client-Secret').inputValue(), '');
    // Kept secret: the test works without entering it again.
    await a.click(page.getByRole('button', { name: 'Verbindung testen' }), { title: 'Bezahldienst (XBezahldienste) – ozgo' });
    assert.match(await page.locator('#test').innerText(), /Verbindung erfolgreich/);
  });
});

/** The demo's paysim client secret (paysim.DefaultSecret). */
async function secretOfDemo() {
  return 'paysim';
}
