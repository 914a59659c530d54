// Tenants and "Einer für Alle" against `ozgo demo` in headless Chromium:
//
//   - the Tübingen tenant admin logs in at /mitarbeiter/anmelden,
//     activates a published online service, is refused while the form is
//     incomplete, then sees Reifegrad 2 with the missing criteria
//     (login, delivery, Postfach), fixes them and sees Reifegrad 3;
//   - the Landkreis Esslingen uploads a CSV for several Gemeinden: a wrong
//     file is refused with the errors by line, a right one is stored;
//   - the coverage dashboard shows the demo's exact shares (40 of 44
//     Gemeinden of the Kreis), with charts, map and tables;
//   - an operator creates a tenant with its first admin and announces a
//     maintenance window, which the status page and the banner show;
//   - a citizen rates a service;
//   - the Tübingen admin uploads a logo (an SVG is refused), which the
//     service pages show from ozgo itself;
//   - a citizen applies for a service activated in Tübingen and reaches
//     the authority the activation names; in a Gemeinde without an
//     activation the check page says the service is not offered there.
//
// axe (WCAG 2.1 A/AA) runs on every page on arrival.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { chooseOrt, fillAllPages, MUTTERSCHUTZ_ANSWERS } from '../lib/formfill.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const SERVICE = 'Blaue Karte EU beantragen';

// A 32×32 pixel PNG: the smallest logo size ozgo accepts is 16×16.
const LOGO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAAKElEQVR42u3NMQ0AAAgDsElEIlKngoOkSf8ms7cEAoFAIBAIBALBl6DhBsAuPa80IgAAAABJRU5ErkJggg==',
  'base64',
);

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

async function staffLogin(v, email, password) {
  await v.goto('/mitarbeiter/anmelden?return=%2Fverwaltung', { title: 'Anmeldung für Mitarbeitende – ozgo' });
  await v.page.getByLabel('E-Mail-Adresse').fill(email);
  await v.page.getByLabel('Passwort').fill(password);
  await v.click(v.page.getByRole('button', { name: 'Anmelden' }), { title: 'Verwaltung – ozgo', url: /\/verwaltung$/ });
}

/** The texts of the criteria listed as missing for the next level. */
async function missing(page) {
  return page.locator('.ozgo-missing li strong').allInnerTexts();
}

describe('Verwaltung', { timeout: 180_000 }, () => {
  it('activates a service and raises its Reifegrad from 2 to 3', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await staffLogin(v, 'verwaltung@tuebingen.example', 'demo-verwaltung-2026');
    await v.click(page.getByRole('link', { name: `${SERVICE} aktivieren` }), { title: `${SERVICE} aktivieren – ozgo` });

    // Incomplete: the completeness check refuses, naming the fields.
    await v.click(page.getByRole('button', { name: 'Prüfen und freischalten' }), { title: `Fehler: ${SERVICE} aktivieren – ozgo`, status: 422 });
    const summary = await page.locator('.ozgo-error-summary').innerText();
    assert.match(summary, /zuständige Behörde/);
    assert.match(summary, /E-Mail-Adresse oder Telefonnummer/);

    await page.getByLabel('Zuständige Behörde').fill('Ausländerbehörde Tübingen (Demo)');
    await page.getByLabel('E-Mail-Adresse für Rückfragen').fill('auslaenderbehoerde@tuebingen.example');
    await v.click(page.getByRole('button', { name: 'Prüfen und freischalten' }), {
      title: `Reifegrad: ${SERVICE} in Tübingen, Universitätsstadt – ozgo`,
      url: /\/gemeinden\/084160041041\?hinweis=aktiviert$/,
    });
    await page.getByRole('heading', { level: 2, name: 'Reifegrad 2' }).waitFor();
    await page.getByRole('heading', { name: 'Für Reifegrad 3 fehlt noch' }).waitFor();
    assert.deepEqual(await missing(page), [
      'Anmeldung mit dem nötigen Vertrauensniveau',
      'Digitale Zustellung an Fachverfahren oder Posteingang',
      'Bescheid und Rückfragen über das Postfach',
    ]);

    // Fix the three: inbox delivery, login at "substantiell", Postfach.
    await v.click(page.getByRole('link', { name: 'Angaben ändern' }), { title: `${SERVICE} aktivieren – ozgo` });
    assert.equal(await page.getByLabel('Zuständige Behörde').inputValue(), 'Ausländerbehörde Tübingen (Demo)');
    await page.getByLabel('Posteingang in ozgo (Sachbearbeitung ohne Fachverfahren)').check();
    await page.getByLabel('Substantiell (zum Beispiel ELSTER-Zertifikat)').check();
    await page.getByLabel('Antworten und Bescheid über das Postfach').check();
    await v.click(page.getByRole('button', { name: 'Prüfen und freischalten' }), {
      title: `Reifegrad: ${SERVICE} in Tübingen, Universitätsstadt – ozgo`,
    });
    await page.getByRole('heading', { level: 2, name: 'Reifegrad 3' }).waitFor();
    assert.deepEqual(await missing(page), ['Nachweise werden direkt aus Registern abgerufen (Once-Only)']);
    // The embed snippet names the stable URL of the Gemeinde.
    assert.match(await page.locator('.ozgo-snippet').first().innerText(), /\/onlinedienste\/blaue-karte-eu\/gemeinden\/084160041041/);

    // The stable page of the service in the Gemeinde and its embeddable twin.
    await v.goto('/onlinedienste/blaue-karte-eu/gemeinden/084160041041', { title: `${SERVICE} in Tübingen – ozgo` });
    await page.getByText('Ausländerbehörde Tübingen (Demo)').waitFor();
    await v.goto('/einbetten/blaue-karte-eu/084160041041', { title: `${SERVICE} – ozgo` });
    await v.goto('/verwaltung/onlinedienste/blaue-karte-eu/gemeinden/084160041041', { title: `Reifegrad: ${SERVICE} in Tübingen, Universitätsstadt – ozgo` });

    // The overview lists it at Reifegrad 3; the API agrees.
    await v.click(page.getByRole('link', { name: 'Zurück zur Verwaltung' }), { title: 'Verwaltung – ozgo' });
    // (The demo also activated the Mutterschutz service in Tübingen.)
    const row = page.getByRole('row', { name: /Tübingen, Universitätsstadt/ }).filter({ hasText: SERVICE });
    assert.match(await row.innerText(), /Freigeschaltet\s+3/);
    const res = await page.request.get(`${server.url}/api/v1/reifegrad?leika=99010014001001&ars=084160041041`);
    assert.equal((await res.json()).reifegrad, 3);

    // The pages around it.
    await v.click(page.getByRole('link', { name: 'Angaben und Erscheinungsbild des Mandanten' }), { title: 'Angaben und Erscheinungsbild – ozgo' });
    await page.getByLabel('Website, die ozgo einbetten darf').fill('https://www.tuebingen.example/pfad');
    await v.click(page.getByRole('button', { name: 'Speichern' }), { title: 'Fehler: Angaben und Erscheinungsbild – ozgo', status: 422 });
    await page.getByLabel('Website, die ozgo einbetten darf').fill('https://www.tuebingen.example');
    await v.click(page.getByRole('button', { name: 'Speichern' }), { title: 'Verwaltung – ozgo' });
    // The logo: SVG refused, PNG stored and served by ozgo.
    await v.click(page.getByRole('link', { name: 'Angaben und Erscheinungsbild des Mandanten' }), { title: 'Angaben und Erscheinungsbild – ozgo' });
    await page.getByLabel('Logo-Datei').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
    await v.click(page.getByRole('button', { name: 'Logo hochladen' }), { title: 'Fehler: Angaben und Erscheinungsbild – ozgo', status: 422 });
    assert.match(await page.locator('.ozgo-error-summary').innerText(), /PNG- oder JPEG-Datei/);
    await page.getByLabel('Logo-Datei').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: LOGO });
    await v.click(page.getByRole('button', { name: 'Logo hochladen' }), { title: 'Angaben und Erscheinungsbild – ozgo', url: /hinweis=logo$/ });
    const logo = await page.request.get(`${server.url}/mandanten/tuebingen/logo`);
    assert.equal(logo.status(), 200);
    assert.equal(logo.headers()['content-type'], 'image/png');
    assert.equal(logo.headers()['x-content-type-options'], 'nosniff');
    await v.goto('/onlinedienste/blaue-karte-eu/gemeinden/084160041041', { title: `${SERVICE} in Tübingen – ozgo` });
    const img = page.getByRole('img', { name: 'Universitätsstadt Tübingen (Demo)' });
    assert.equal(await img.getAttribute('src'), '/mandanten/tuebingen/logo');
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth === 32), 'the logo loads under the CSP');
    await v.goto('/einbetten/blaue-karte-eu/084160041041', { title: `${SERVICE} – ozgo` });
    assert.equal(await page.getByRole('img', { name: 'Universitätsstadt Tübingen (Demo)' }).count(), 1);
    await v.goto('/verwaltung', { title: 'Verwaltung – ozgo' });
    await v.click(page.getByRole('link', { name: 'Statistik und Rückmeldungen' }), { title: 'Statistik und Rückmeldungen – ozgo' });
    const embed = await page.request.get(`${server.url}/einbetten/blaue-karte-eu/084160041041`);
    assert.match(embed.headers()['content-security-policy'], /frame-ancestors 'self' https:\/\/www\.tuebingen\.example/);
  });

  it('activates for many Gemeinden from a CSV file', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await staffLogin(v, 'verwaltung@landkreis-esslingen.example', 'demo-kreis-2026');
    await v.click(page.getByRole('link', { name: `${SERVICE} per CSV-Datei für mehrere Gemeinden aktivieren` }), {
      title: `Sammelaktivierung: ${SERVICE} – ozgo`,
    });
    const bad = 'ars;behoerde;email;zustellung\n081160019019;Ausländerbehörde;a@esslingen.example;eingang\n084160041041;Fremd;b@x.example;eingang\n081160015015;;c@x.example;fax\n';
    await page.getByLabel('CSV-Datei', { exact: true }).setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await v.click(page.getByRole('button', { name: 'Hochladen und aktivieren' }), { title: `Fehler: Sammelaktivierung: ${SERVICE} – ozgo`, status: 422 });
    const lines = await page.getByRole('table', { name: 'Fehler in der Datei' }).locator('tbody th').allInnerTexts();
    assert.deepEqual(lines, ['3', '4', '4']);

    const good = 'ars;behoerde;email;zustellung;postfach;vertrauensniveau\n081160019019;Ausländerbehörde Esslingen;a@esslingen.example;eingang;ja;niedrig\n081160015015;Landratsamt Esslingen;c@esslingen.example;pdf;nein;keine\n';
    await page.getByLabel('CSV-Datei', { exact: true }).setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await v.click(page.getByRole('button', { name: 'Hochladen und aktivieren' }), { title: 'Verwaltung – ozgo', url: /hinweis=sammel/ });
    await page.getByText('Die Sammelaktivierung ist gespeichert.').waitFor();
  });

  it('shows the coverage of the demo Land and Kreis', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await v.goto('/dashboard/abdeckung?ars=08116', { title: 'Flächendeckung: Esslingen – ozgo' });
    const row = page.getByRole('table', { name: 'Abdeckung je Leistung in Esslingen' }).getByRole('row', { name: /Benachrichtigung über die Beschäftigung/ });
    const text = await row.innerText();
    assert.match(text, /40 \/ 44/);
    assert.match(text, /90,9 %/);
    assert.match(text, /496\.906 \/ 535\.024/);
    assert.match(text, /92,9 %/);
    assert.equal(await page.locator('svg[role="img"] circle').count(), 44);
    assert.equal(await page.locator('svg[role="img"] circle.ozgo-map__p3').count(), 40);

    await v.click(page.getByRole('link', { name: 'Baden-Württemberg' }), { title: 'Flächendeckung: Baden-Württemberg – ozgo' });
    const land = await page.getByRole('table', { name: 'Abdeckung je Leistung in Baden-Württemberg' }).getByRole('row', { name: /Benachrichtigung über die Beschäftigung/ }).innerText();
    assert.match(land, /40 \/ 1\.101/);
    assert.match(land, /3,6 %/);
    const csv = await page.request.get(`${server.url}/dashboard/abdeckung.csv?ars=08116&tabelle=leistungen`);
    assert.match(await csv.text(), /99006028000000,Benachrichtigung .*,false,44,40,535024,496906,false/);
  });

  it('lets an operator create a tenant and announce maintenance', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await staffLogin(v, 'betrieb@ozgo.example', 'demo-betrieb-2026');
    await v.click(page.getByRole('link', { name: 'Mandant anlegen' }), { title: 'Mandant anlegen – ozgo' });
    await v.click(page.getByRole('button', { name: 'Mandant anlegen' }), { title: 'Fehler: Mandant anlegen – ozgo', status: 422 });
    await page.getByLabel('Name', { exact: true }).first().fill('Stadt Reutlingen (Demo)');
    await page.getByLabel('Kennung').fill('reutlingen');
    await page.getByLabel('Amtlicher Regionalschlüssel des Gebiets').fill('084150061061');
    await page.locator('#admin-name').fill('Verwaltung Reutlingen');
    await page.getByLabel('E-Mail-Adresse').fill('verwaltung@reutlingen.example');
    await page.getByLabel('Erstes Passwort').fill('ein sicheres Passwort 2026');
    await v.click(page.getByRole('button', { name: 'Mandant anlegen' }), { title: 'Verwaltung – ozgo', url: /hinweis=mandant/ });
    await page.getByRole('row', { name: /Stadt Reutlingen \(Demo\)/ }).waitFor();

    await v.click(page.getByRole('link', { name: 'Wartung und Störungen ankündigen' }), { title: 'Wartung und Störungen – ozgo' });
    await page.getByLabel('Text für Nutzerinnen und Nutzer').fill('Wartung der Plattform (Demo)');
    await page.getByLabel('Beginn').fill('2030-01-01T20:00');
    await page.getByLabel('Ende').fill('2030-01-01T22:00');
    await v.click(page.getByRole('button', { name: 'Ankündigen' }), { title: 'Verwaltung – ozgo' });
    await v.goto('/status', { title: 'Status der Plattform – ozgo' });
    await page.getByText('Wartung der Plattform (Demo)').waitFor();
  });

  it('lets the Land publish a new version of a service', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await staffLogin(v, 'dienste@bw.example', 'demo-dienste-2026');
    await v.click(page.getByRole('link', { name: 'Onlinedienste veröffentlichen (Autorin oder Autor)' }), { title: 'Onlinedienste veröffentlichen – ozgo' });
    await v.click(page.getByRole('link', { name: 'Neue Version von Beschäftigung einer schwangeren oder stillenden Frau mitteilen vorbereiten' }), {
      title: 'Version eines Onlinedienstes vorbereiten – ozgo',
    });
    await page.getByLabel('Standardgebühr in Euro').fill('zehn');
    await v.click(page.getByRole('button', { name: 'Als Entwurf speichern' }), { title: 'Fehler: Version eines Onlinedienstes vorbereiten – ozgo', status: 422 });
    await page.getByLabel('Standardgebühr in Euro').fill('10,00');
    await v.click(page.getByRole('button', { name: 'Als Entwurf speichern' }), { title: 'Onlinedienste veröffentlichen – ozgo', url: /hinweis=vorbereitet/ });
    await v.click(page.getByRole('button', { name: 'Version 2 veröffentlichen' }), { title: 'Onlinedienste veröffentlichen – ozgo', url: /hinweis=veroeffentlicht/ });
    const rows = await page.getByRole('table', { name: 'Versionen von Beschäftigung einer schwangeren oder stillenden Frau mitteilen' }).locator('tbody tr').allInnerTexts();
    assert.match(rows[0], /^2\s.*Veröffentlicht/);
    assert.match(rows[1], /^1\s.*Abgelöst/);
  });

  it('takes a rating without login', async (t) => {
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = v;
    await v.goto('/onlinedienste/blaue-karte-eu/bewertung', { title: `Bewertung: ${SERVICE} – ozgo` });
    await page.getByLabel('4 von 5 Sternen').check();
    await page.getByLabel('Was können wir besser machen? (freiwillig)').fill('Klar und schnell.');
    await page.waitForTimeout(2100); // the form token refuses posts faster than a person
    await v.click(page.getByRole('button', { name: 'Bewertung senden' }), { title: `Bewertung: ${SERVICE} – ozgo`, url: /hinweis=danke/ });
    await page.getByText('Danke für Ihre Bewertung.').waitFor();
  });

  it("routes a citizen's application by the activation of the chosen Gemeinde", async (t) => {
    const MUTTER = '/onlinedienste/mutterschutz-benachrichtigung';
    const MUTTER_TITLE = 'Beschäftigung einer schwangeren oder stillenden Frau mitteilen';
    const CHECK = 'Angaben prüfen und absenden – ozgo';
    // The admin names another authority for Tübingen (built-in inbox).
    const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    await staffLogin(v, 'verwaltung@tuebingen.example', 'demo-verwaltung-2026');
    await v.goto('/verwaltung/onlinedienste/mutterschutz-benachrichtigung/aktivieren?ars=084160041041', { title: `${MUTTER_TITLE} aktivieren – ozgo` });
    // The fee box shows the fee as the citizen sees it and where it is set.
    await v.page.getByRole('heading', { name: 'Gebühr und Bezahlung' }).waitFor();
    assert.equal(await v.page.getByRole('link', { name: 'Gebühren und Bezahldienst einstellen' }).count(), 1);
    await v.page.getByLabel('Zuständige Behörde').fill('Gewerbeaufsicht Tübingen (Demo)');
    await v.page.getByLabel('Erwartete Bearbeitungszeit in Arbeitstagen').fill('14');
    await v.click(v.page.getByRole('button', { name: 'Prüfen und freischalten' }), {
      title: `Reifegrad: ${MUTTER_TITLE} in Tübingen, Universitätsstadt – ozgo`,
      url: /hinweis=aktiviert$/,
    });

    // The citizen: the application goes to that authority.
    const c = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const { page } = c;
    await c.goto(MUTTER, { title: `${MUTTER_TITLE} – ozgo` });
    await Promise.all([page.waitForEvent('framenavigated'), page.getByRole('button', { name: 'Antrag starten' }).click()]);
    await fillAllPages(c, MUTTER, MUTTERSCHUTZ_ANSWERS);
    await c.arrive({ title: CHECK, url: /\/antrag\/pruefen$/ });

    // A Gemeinde where nobody activated it: not offered there.
    await chooseOrt(c, { query: 'Reutlingen', name: 'Reutlingen', checkTitle: CHECK });
    let main = await page.locator('main').innerText();
    assert.match(main, /In dieser Gemeinde noch nicht online/);
    assert.match(main, /wird dieser Onlinedienst noch nicht online angeboten/);
    assert.equal(await page.getByRole('button', { name: 'Antrag verbindlich absenden' }).count(), 0);

    // Tübingen: the activation's authority, contact and processing time.
    await c.click(page.getByRole('link', { name: 'Wohnort ändern' }), { title: 'Wohnort wählen – ozgo', url: /\/ort\?zurueck=/ });
    await page.getByLabel('Ihr Wohnort', { exact: false }).fill('Tübingen');
    await c.click(page.getByRole('button', { name: 'Ort suchen' }), { title: 'Wohnort wählen: Tübingen – ozgo' });
    await c.click(page.locator('button.ozgo-choice').filter({ hasText: 'Tübingen, Universitätsstadt' }).first(), { title: CHECK, url: /\/antrag\/pruefen$/ });
    main = await page.locator('main').innerText();
    assert.match(main, /Ihr Antrag geht verschlüsselt an:\s*Gewerbeaufsicht Tübingen \(Demo\)/);
    assert.match(main, /etwa 14 Arbeitstage/);
    assert.equal(await page.getByRole('link', { name: 'buergerbuero@tuebingen.example' }).count(), 1);
    await c.click(page.getByRole('button', { name: 'Antrag verbindlich absenden' }), { title: 'Ihr Antrag ist eingegangen – ozgo', url: /\/antrag\/eingang$/ });
    main = await page.locator('main').innerText();
    assert.match(main, /Gewerbeaufsicht Tübingen \(Demo\)/);
    assert.match(main, /verschlüsselt an die zuständige Stelle übermittelt/);
  });
});
