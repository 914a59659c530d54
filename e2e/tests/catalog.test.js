// The public catalog pages against `ozgo demo` (full catalog, all regions,
// demo authorities for Tübingen) in headless Chromium: the citizen's
// journey from the start page to the responsible authority, browsing by
// topic, the region pages, paging and the error pages — once more without
// JavaScript. Every page visited is checked with axe (WCAG 2.1 A/AA), for
// exactly one <h1>, its title and status, and for console errors and failed
// requests.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const TEST_TIMEOUT = 180_000;

const HUNDESTEUER = '99102013000000';
const ELTERNGELD = '99041006000000';
const ELTERNGELD_BERECHNUNG = '99041006151000'; // nothing assigned in the demo
const TUEBINGEN = '084160041041';
const STEUERVERWALTUNG = 'Steuerverwaltung der Universitätsstadt Tübingen (Demo)';
const ELTERNGELDSTELLE = 'Elterngeldstelle Baden-Württemberg (Demo)';

let server;
let browser;

before(
  async () => {
    // The first start of the demo imports ~16,000 regions and the catalog.
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

/** A visitor with a fresh browser context (see lib/visitor.js). */
function visitor(t, contextOptions = {}) {
  return newVisitor(t, browser, server.url, contextOptions);
}

/** Searches from the form on the current page. */
async function search(v, text, expect) {
  await v.page.getByLabel('Welche Leistung suchen Sie?').fill(text);
  return v.click(v.page.getByRole('button', { name: 'Suchen' }), expect);
}

/** Chooses the place from a Leistung page: type, submit, pick. */
async function choosePlace(v, typed, back) {
  const { page } = v;
  await page.getByLabel('Ihr Wohnort (Name oder Postleitzahl)').fill(typed);
  await v.click(page.getByRole('button', { name: 'Ort suchen' }), { title: `Wohnort wählen: ${typed} – ozgo`, url: /\/ort\?/ });
  const choice = page.getByRole('button', { name: /^Tübingen, Universitätsstadt\b/ });
  assert.equal(await choice.count(), 1, 'Tübingen, Universitätsstadt should be offered once');
  assert.match(await choice.innerText(), /72070.*Tübingen \(Landkreis\).*Baden-Württemberg/s, 'the choice should name postcode, Kreis and Land');
  return v.click(choice, back);
}

async function assertNoPlaceForm(page) {
  assert.equal(await page.getByLabel('Ihr Wohnort (Name oder Postleitzahl)').count(), 0, 'the place is chosen, the form should be gone');
}

async function assertHundesteuerInTuebingen(page) {
  const zust = page.locator('section[aria-labelledby="zust-heading"]');
  await assertNoPlaceForm(page);
  assert.ok(await zust.getByRole('heading', { name: STEUERVERWALTUNG }).isVisible(), 'the demo authority should be shown');
  assert.ok(await zust.getByText('Am Markt 1, 72070 Tübingen').isVisible(), 'the address should be shown');
  assert.equal(await zust.getByRole('link', { name: 'steuern@tuebingen.example' }).getAttribute('href'), 'mailto:steuern@tuebingen.example');
  const online = zust.getByRole('link', { name: /Zum Onlinedienst „Hundesteuer“/ });
  assert.equal(await online.getAttribute('href'), 'https://tuebingen.example/online/hundesteuer');
  assert.ok(await zust.getByRole('link', { name: 'Wohnort ändern' }).isVisible());
}

describe('finding the responsible authority', { timeout: TEST_TIMEOUT }, () => {
  it('start page → search → Hundesteuer → choose Tübingen by name → authority and online service', async (t) => {
    const v = await visitor(t);
    const { page } = v;
    await v.goto('/', { title: 'Startseite – ozgo' });
    assert.equal(await page.locator('nav[aria-label="Hauptnavigation"] a[aria-current="page"]').innerText(), 'Startseite');
    assert.equal(await page.locator('a[href^="/themenfelder/"]').count(), 14, 'the start page should list the 14 Themenfelder');

    await search(v, 'Hundesteuer', { title: 'Suche: Hundesteuer – ozgo', url: /\/suche\?q=Hundesteuer$/ });
    assert.match(await page.locator('#results-heading').innerText(), /^\d+ Treffer für „Hundesteuer“$/);
    assert.equal(await page.getByLabel('Welche Leistung suchen Sie?').inputValue(), 'Hundesteuer', 'the form should be pre-filled');
    const first = page.locator('.ozgo-results__title').first();
    assert.equal(await first.innerText(), 'Hundesteuer');
    assert.ok(await page.getByText(`LeiKa ${HUNDESTEUER}`).first().isVisible(), 'hits should show their LeiKa key');

    await v.click(first, { title: 'Hundesteuer – ozgo', url: new RegExp(`/leistungen/${HUNDESTEUER}$`) });
    assert.equal(await page.locator('h1').innerText(), 'Hundesteuer');
    assert.ok(await page.getByText(HUNDESTEUER, { exact: true }).isVisible(), 'the LeiKa key should be shown');
    assert.ok(await page.locator('nav[aria-label="Brotkrumenpfad"] [aria-current="page"]').isVisible());

    await choosePlace(v, 'Tübingen', { title: 'Hundesteuer – ozgo', url: new RegExp(`/leistungen/${HUNDESTEUER}$`) });
    await assertHundesteuerInTuebingen(page);

    const cookie = (await v.context.cookies()).find((c) => c.name === 'ozgo_ort');
    assert.ok(cookie, 'the place should be kept in the ozgo_ort cookie');
    assert.equal(cookie.value, TUEBINGEN);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');

    // The start page now names the place.
    await v.goto('/', { title: 'Startseite – ozgo' });
    assert.ok(await page.getByRole('link', { name: 'Tübingen, Universitätsstadt' }).isVisible(), 'the start page should name the place');
  });

  it('choose the place by postcode, change it, forget it', async (t) => {
    const v = await visitor(t);
    const { page } = v;
    const leistung = { title: 'Hundesteuer – ozgo', url: new RegExp(`/leistungen/${HUNDESTEUER}$`) };
    await v.goto(`/leistungen/${HUNDESTEUER}`, leistung);
    await choosePlace(v, '72070', leistung);
    await assertHundesteuerInTuebingen(page);

    await v.click(page.getByRole('link', { name: 'Wohnort ändern' }), { title: 'Wohnort wählen – ozgo', url: /\/ort\?zurueck=/ });
    assert.ok(await page.getByRole('link', { name: 'Zurück zu „Hundesteuer“' }).isVisible(), 'the back link should name the Leistung');

    // An empty answer: error summary, "Fehler:" in the title, 422.
    await v.click(page.getByRole('button', { name: 'Ort suchen' }), { title: 'Fehler: Wohnort wählen – ozgo', status: 422 });
    const summary = page.locator('.ozgo-error-summary');
    assert.ok(await summary.isVisible(), 'the error summary should be shown');
    assert.equal(await summary.getByRole('link').getAttribute('href'), '#ort');
    assert.equal(await page.getByLabel('Ihr Wohnort (Name oder Postleitzahl)').getAttribute('aria-invalid'), 'true');

    // A place that does not exist.
    await page.getByLabel('Ihr Wohnort (Name oder Postleitzahl)').fill('Qqxyzzy');
    await v.click(page.getByRole('button', { name: 'Ort suchen' }), { title: 'Fehler: Wohnort wählen – ozgo', status: 422 });
    assert.match(await summary.innerText(), /keinen Ort „Qqxyzzy“/);

    await choosePlace(v, 'Tübingen', leistung);
    await assertHundesteuerInTuebingen(page);

    await v.click(page.getByRole('button', { name: 'Wohnort vergessen' }), leistung);
    assert.ok(await page.getByLabel('Ihr Wohnort (Name oder Postleitzahl)').isVisible(), 'forgotten: the form should be back');
    assert.equal((await v.context.cookies()).find((c) => c.name === 'ozgo_ort'), undefined, 'the cookie should be gone');
  });

  it('Elterngeld: the Land’s authority; Elterngeld Berechnung: derived from the typisierung', async (t) => {
    const v = await visitor(t);
    const { page } = v;
    await v.context.addCookies([{ name: 'ozgo_ort', value: TUEBINGEN, url: server.url }]);

    await v.goto(`/leistungen/${ELTERNGELD}`, { title: 'Elterngeld – ozgo' });
    const zust = page.locator('section[aria-labelledby="zust-heading"]');
    assert.ok(await zust.getByRole('heading', { name: ELTERNGELDSTELLE }).isVisible(), 'the assigned authority should be shown');
    assert.match(await zust.innerText(), /Zuständig für:\s*Baden-Württemberg \(Land\)/);
    assert.equal(
      await zust.getByRole('link', { name: /Zum Onlinedienst „Elterngeld“/ }).getAttribute('href'),
      'https://bw.example/online/elterngeld',
    );
    assert.ok(await page.getByText('BEEG').isVisible(), 'the legal basis should be shown');

    await v.goto(`/leistungen/${ELTERNGELD_BERECHNUNG}`, { title: 'Elterngeld Berechnung – ozgo' });
    const text = await zust.innerText();
    assert.match(text, /Zuständig ist in der Regel die Kreisverwaltung/);
    assert.match(text, /Tübingen \(Landkreis\)/);
    assert.match(text, /aus der Typisierung der Leistung abgeleitet/);
    assert.match(text, /Für Ihren Ort ist noch kein Onlinedienst hinterlegt/);
  });
});

describe('browsing the catalog', { timeout: TEST_TIMEOUT }, () => {
  it('Themenfeld → Lebenslage → Leistung, and back by the breadcrumbs', async (t) => {
    const v = await visitor(t);
    const { page } = v;
    await v.goto('/', { title: 'Startseite – ozgo' });
    await v.click(page.getByRole('link', { name: 'Familie & Kind' }), { title: 'Familie & Kind – ozgo', url: /\/themenfelder\/6$/ });
    await v.click(page.getByRole('link', { name: 'Geburt', exact: true }), { title: 'Geburt – ozgo', url: /\/lebenslagen\/\d+$/ });
    assert.ok(await page.getByRole('heading', { name: 'Elterngeld', level: 2 }).isVisible(), 'the OZG-Leistung Elterngeld should be a section');
    await v.click(page.locator(`a[href="/leistungen/${ELTERNGELD}"]`), { title: 'Elterngeld – ozgo' });
    const crumbs = page.locator('nav[aria-label="Brotkrumenpfad"]');
    assert.deepEqual(
      (await crumbs.locator('li').allInnerTexts()).map((s) => s.trim()),
      ['Startseite', 'Familie & Kind', 'Geburt', 'Elterngeld'],
    );
    // The Leistung links its place in the catalog.
    await v.click(page.locator('dd').getByRole('link', { name: 'Elterngeld' }), { title: 'Geburt – ozgo', url: /#ozg-10000$/ });
    await v.goto(`/leistungen/${ELTERNGELD}`, { title: 'Elterngeld – ozgo' });
    await v.click(crumbs.getByRole('link', { name: 'Familie & Kind' }), { title: 'Familie & Kind – ozgo' });
  });

  it('search results are paged', async (t) => {
    const v = await visitor(t);
    const { page } = v;
    await v.goto('/suche', { title: 'Leistungen suchen – ozgo' });
    assert.equal(await page.locator('nav[aria-label="Hauptnavigation"] a[aria-current="page"]').innerText(), 'Leistungen suchen');
    await search(v, 'Antrag', { title: 'Suche: Antrag – ozgo' });
    assert.equal(await page.locator('.ozgo-results__item').count(), 20);
    const paging = page.locator('nav[aria-label="Ergebnisseiten"]');
    assert.equal(await paging.locator('[aria-current="page"]').innerText(), '1');
    assert.equal(await paging.locator('a[rel="prev"]').count(), 0);
    await v.click(paging.locator('a[rel="next"]'), { title: 'Suche: Antrag (Seite 2) – ozgo', url: /seite=2$/ });
    assert.equal(await paging.locator('[aria-current="page"]').innerText(), '2');
    await v.click(paging.locator('a[rel="prev"]'), { title: 'Suche: Antrag – ozgo', url: /\/suche\?q=Antrag$/ });

    await v.goto('/suche?q=Antrag&seite=999', { title: 'Suche: Antrag (Seite 999 gibt es nicht) – ozgo', status: 404 });
    await v.click(page.getByRole('link', { name: 'Zur ersten Ergebnisseite' }), { title: 'Suche: Antrag – ozgo' });

    await v.goto('/suche?q=Qqxyzzy', { title: 'Suche: Qqxyzzy (keine Treffer) – ozgo' });
    assert.ok(await page.getByRole('heading', { name: 'Keine Treffer für „Qqxyzzy“' }).isVisible());
  });

  it('wrong addresses get German error pages', async (t) => {
    const v = await visitor(t);
    await v.goto('/leistungen/99999999999999', { title: 'Seite nicht gefunden – ozgo', status: 404 });
    await v.goto('/leistungen/kaputt', { title: 'Ungültige Anfrage – ozgo', status: 400 });
    await v.goto('/suche?q=Hund&seite=null', { title: 'Ungültige Anfrage – ozgo', status: 400 });
    await v.goto('/themenfelder/99', { title: 'Seite nicht gefunden – ozgo', status: 404 });
    await v.goto('/regionen/99', { title: 'Seite nicht gefunden – ozgo', status: 404 });
  });
});

describe('regions', { timeout: TEST_TIMEOUT }, () => {
  it('search → Tübingen with its authorities and online services → Kreis', async (t) => {
    const v = await visitor(t);
    const { page } = v;
    await v.goto('/', { title: 'Startseite – ozgo' });
    await v.click(page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Regionen' }), { title: 'Regionen – ozgo' });
    assert.equal(await page.locator('a[href^="/regionen/"]').count(), 16, 'the 16 Länder should be listed');
    await page.getByLabel('Region suchen').fill('Tübingen');
    await v.click(page.getByRole('button', { name: 'Suchen' }), { title: 'Regionensuche: Tübingen – ozgo' });
    await v.click(page.locator(`a[href="/regionen/${TUEBINGEN}"]`), { title: 'Tübingen, Universitätsstadt (Gemeinde) – ozgo' });

    assert.ok(await page.getByText('91.506').isVisible(), 'the population should be shown');
    for (const name of [STEUERVERWALTUNG, 'Bürgerbüro Tübingen (Demo)', ELTERNGELDSTELLE]) {
      assert.ok(await page.getByRole('heading', { name }).isVisible(), `${name} should be listed`);
    }
    const online = page.locator('section[aria-labelledby="online-heading"] table');
    assert.ok(await online.getByRole('link', { name: 'Hundesteuer', exact: true }).isVisible());
    assert.ok(await online.getByRole('link', { name: 'Elterngeld', exact: true }).isVisible());

    // Keep this place as the place of residence.
    await v.click(page.getByRole('button', { name: 'Tübingen, Universitätsstadt als Wohnort speichern' }), {
      title: 'Tübingen, Universitätsstadt (Gemeinde) – ozgo',
    });
    assert.ok(await page.getByText('Das ist Ihr gespeicherter Wohnort.').isVisible());

    await v.click(page.locator('nav[aria-label="Brotkrumenpfad"]').getByRole('link', { name: 'Tübingen (Landkreis)' }), {
      title: 'Tübingen (Kreis) – ozgo',
    });
    assert.ok(await page.getByRole('heading', { name: 'Gemeinden (15)' }).isVisible());
    await v.goto(`/leistungen/${HUNDESTEUER}`, { title: 'Hundesteuer – ozgo' });
    await assertHundesteuerInTuebingen(page);
  });
});

describe('without JavaScript', { timeout: TEST_TIMEOUT }, () => {
  it('the whole journey works', async (t) => {
    const v = await visitor(t, { javaScriptEnabled: false });
    const { page } = v;
    await v.goto('/', { title: 'Startseite – ozgo' });
    await search(v, 'Hundesteuer', { title: 'Suche: Hundesteuer – ozgo' });
    await v.click(page.locator('.ozgo-results__title').first(), { title: 'Hundesteuer – ozgo' });
    await choosePlace(v, 'Tübingen', { title: 'Hundesteuer – ozgo', url: new RegExp(`/leistungen/${HUNDESTEUER}$`) });
    await assertHundesteuerInTuebingen(page);
    await v.click(page.getByRole('link', { name: 'Wohnort ändern' }), { title: 'Wohnort wählen – ozgo' });
    await choosePlace(v, '72070', { title: 'Hundesteuer – ozgo' });
    await assertHundesteuerInTuebingen(page);
    await v.click(page.getByRole('button', { name: 'Wohnort vergessen' }), { title: 'Hundesteuer – ozgo' });
    assert.ok(await page.getByLabel('Ihr Wohnort (Name oder Postleitzahl)').isVisible());
    // Long groups open without script (<details>).
    await v.goto('/lebenslagen/50', { title: 'Unternehmensstart & Gewerbezulassung – ozgo' });
    const more = page.locator('details.kern-accordion').first();
    await more.locator('summary').click();
    assert.equal(await more.getAttribute('open'), '', 'the disclosure should open without JavaScript');
  });
});
