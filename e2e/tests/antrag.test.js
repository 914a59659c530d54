// The online form runtime against `ozgo demo` in headless Chromium: the
// citizen fills in the "Blaue Karte EU" application (FIM schema S00000121)
// from the list of online services to the receipt.
//
//   - every page of the form, one per top-level FIM group, is filled in:
//     the required fields generically by their type (German dates and
//     amounts, code-list selects and radios, yes/no questions, uploads) and
//     some optional groups on purpose (a street address, a foreign address
//     with an extra "ZeileAnschrift" line, the contact details of the
//     employer with a second, repeated "Kommunikation" entry – added and
//     removed with the "… hinzufügen"/"… entfernen" buttons);
//   - bad input on page 1 (a word as height, a text file as photo, no first
//     name) is answered with 422, an error summary linking to the fields and
//     a message at each field; it is then fixed;
//   - a yes/no rule: details given for a question answered "Nein" do not count;
//   - Enter in a field saves and goes on, it does not add a repeated entry;
//   - the check page shows the answers as typed (German formats, code-list
//     labels, both repeated entries); one is changed through "Ändern";
//   - the check page asks for the place of residence (chosen through /ort)
//     and names the authority;
//   - the application is submitted and the receipt names a Vorgangsnummer;
//     the service page links to it and the draft is gone.
//
// Every page visited is checked with axe (WCAG 2.1 A/AA) before anything is
// typed, the error page too, and for its status, title, exactly one <h1>,
// console errors and failed requests. Two short tests follow: adding and
// removing a repeated entry with JavaScript switched off, and the first page
// of the second demo service (Mutterschutz, S00000094) with its errors.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { PDF, chooseOrt, fillRequired as fill } from '../lib/formfill.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const TEST_TIMEOUT = 180_000;

const SERVICE = '/onlinedienste/blaue-karte-eu';
const SERVICE_TITLE = 'Blaue Karte EU beantragen';
const CHECK_TITLE = 'Angaben prüfen und absenden';
const RECEIPT_TITLE = 'Ihr Antrag ist eingegangen';

/** The pages of S00000121 in order; the check page is step 13. */
const PAGES = [
  'Persönliche Angaben zum Antragsteller',
  'Anschrift des Antragstellers in Deutschland',
  'Angaben zu vorhandenem Visum oder Aufenthaltstitel',
  'Angaben zur Hochschulqualifikation',
  'Angaben zur Arbeitsstelle',
  'Angaben zur Krankenversicherung',
  'Weitere Angaben',
  'Angaben zur Anerkennung als international Schutzsuchender',
  'Weitere Angaben',
  'Angaben zur Vorbestrafung',
  'Angaben zu laufenden Ermittlungsverfahren',
  'Weitere Angaben',
];
const STEPS = PAGES.length + 1;

// Small uploads that pass the content check (magic bytes): a 1×1 pixel PNG
// (and the minimal PDF of lib/formfill.js).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const TXT = Buffer.from('Dies ist kein Bild.\n');

/** Answers for the required text fields, by label; other fields get one by their type. */
const ANSWERS = {
  Familienname: 'Mustermann',
  Vorname: 'Erika',
  Geburtsort: 'Chennai',
  Augenfarbe: 'braun',
  Straße: 'Hauptstraße',
  Postleitzahl: '72070',
  Ort: 'Tübingen',
  'Erteilende Behörde': 'Deutsche Botschaft Neu-Delhi',
  'Einreise in das Bundesgebiet am': '01.10.2024',
  Gültigkeitsdauer: '30.09.2028',
  'Nachweis Visum / Aufenthaltstitel': 'Visum Nr. V123456',
  'Klasse/Fachrichtung': 'Informatik',
  'Höchster qualifizierter Abschluss': 'Master of Technology',
  'Ausbildungsstätte Name': 'Indian Institute of Technology Madras',
  'Berufliche Tätigkeit': 'Softwareentwicklerin',
  'Datum des Arbeitsvertrags': '15.08.2024',
  'Laufzeit des Arbeits- bzw. Angestelltenverhältnisses': '31.08.2028',
  'Jahresbruttobetrag der Einnahmen': '65.000,00',
  Name: 'Muster Software GmbH',
};

/** Answers every required field still empty (lib/formfill.js) with ANSWERS. */
const fillRequired = (page, scope) => fill(page, scope, ANSWERS);

let server;
let browser;

before(
  async () => {
    // The first start of the demo imports the catalog and the regions.
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

/**
 * An applicant: a visitor (lib/visitor.js) with a fresh browser context, so
 * a fresh draft cookie, that also knows the steps of the form.
 */
async function applicant(t, contextOptions = {}) {
  const a = await newVisitor(t, browser, server.url, contextOptions, { waitUntil: 'load' });
  const { page } = a;
  Object.assign(a, {
    /** Checks that the browser is on form page `step` (1-based). */
    async onStep(step, { status = 200, error = false } = {}) {
      const heading = PAGES[step - 1];
      await a.arrive({ title: `${error ? 'Fehler: ' : ''}${heading} – ozgo`, status, url: new RegExp(`${SERVICE}/antrag/${step}(\\?|#|$)`) });
      assert.equal(await page.locator('h1').innerText(), heading);
      assert.match(await page.locator('.kern-preline').innerText(), new RegExp(`^Schritt ${step} von ${STEPS}\\b`));
    },
    /** "Speichern und weiter", then expects form page `step`. */
    async next(step) {
      const button = page.getByRole('button', { name: 'Speichern und weiter', exact: true });
      await Promise.all([page.waitForEvent('framenavigated'), button.click()]);
      if (step > PAGES.length) return a.arrive({ title: `${CHECK_TITLE} – ozgo`, url: new RegExp(`${SERVICE}/antrag/pruefen$`) });
      return a.onStep(step);
    },
  });
  return a;
}

/** The fieldset with this legend (without "– optional"), `nth` if there are several. */
function group(scope, legend, nth = 0) {
  return scope
    .locator('fieldset')
    .filter({ has: scope.page().locator(':scope > legend', { hasText: new RegExp(`^${escapeRegExp(legend)}(\\s+– optional)?$`) }) })
    .nth(nth);
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every link of the error summary leads to an element on this page. */
async function assertSummaryLinksResolve(page) {
  const broken = await page.getByRole('alert').locator('a[href^="#"]').evaluateAll((links) =>
    links.filter((l) => !document.getElementById(decodeURIComponent(l.hash.slice(1)))).map((l) => `${l.textContent} → ${l.hash}`),
  );
  assert.deepEqual(broken, [], 'error summary links without a target on the page');
}

/** The answers on the check page for the question or field `label`. */
async function answersOn(page, label) {
  const items = page.locator('.kern-description-list-item').filter({
    has: page.locator(':scope > dt', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }),
  });
  return (await items.locator(':scope > dd').evaluateAll((dds) =>
    dds.map((dd) => {
      const copy = dd.cloneNode(true);
      copy.querySelectorAll('a').forEach((a) => a.remove());
      return copy.textContent.replace(/\s+/g, ' ').trim();
    }),
  ));
}

describe('applying for the Blaue Karte EU', { timeout: TEST_TIMEOUT }, () => {
  it('list → start → all pages (errors fixed, repeats, code lists, uploads) → check → change → submit → receipt', async (t) => {
    const a = await applicant(t);
    const { page } = a;
    const form = page.locator('form.ozgo-form');
    const save = () => page.getByRole('button', { name: 'Speichern und weiter', exact: true });

    await a.goto('/onlinedienste', { title: 'Onlinedienste – ozgo' });
    await a.click(page.getByRole('link', { name: SERVICE_TITLE }), { title: `${SERVICE_TITLE} – ozgo`, url: new RegExp(`${SERVICE}$`) });
    await a.click(page.getByRole('button', { name: 'Antrag starten' }), {
      title: `${PAGES[0]} – ozgo`,
      url: new RegExp(`${SERVICE}/antrag/1$`),
    });
    await a.onStep(1);

    // --- Page 1: bad input first. ---
    await page.getByLabel('Familienname', { exact: true }).fill('Mustermann');
    await page.getByLabel('Größe', { exact: true }).fill('abc');
    await page.getByLabel('Lichtbild', { exact: true }).setInputFiles({ name: 'lichtbild.txt', mimeType: 'text/plain', buffer: TXT });
    await Promise.all([page.waitForEvent('framenavigated'), save().click()]);
    await a.onStep(1, { status: 422, error: true }); // axe runs on the error page too

    const summary = page.getByRole('alert');
    assert.equal(await summary.count(), 1, 'one error summary');
    assert.equal(await summary.getByRole('heading', { name: 'Es gibt ein Problem' }).count(), 1);
    const errors = {
      Vorname: ['f-G00000630-F00000045', /^Bitte geben Sie „Vorname“ an\.$/],
      Größe: ['f-G00000630-F00001017', /^Größe: Bitte geben Sie eine Zahl ein\b/],
      Lichtbild: ['f-G00000630-F00001019', /^Lichtbild: Diese Art von Datei ist hier nicht erlaubt\b/],
    };
    const links = await summary.getByRole('link').evaluateAll((ls) => ls.map((l) => [l.textContent.trim(), l.getAttribute('href')]));
    for (const [label, [id, message]] of Object.entries(errors)) {
      assert.ok(
        links.some(([text, href]) => message.test(text) && href === `#${id}`),
        `the summary should link to #${id} with ${message}; it has:\n${links.map((l) => l.join(' → ')).join('\n')}`,
      );
      const field = page.getByLabel(label, { exact: true });
      assert.equal(await field.getAttribute('id'), id);
      assert.equal(await field.getAttribute('aria-invalid'), 'true', `${label} should be marked invalid`);
      const error = page.locator(`[id="${id}-error"]`);
      assert.ok(await error.isVisible(), `${label} should show its error message`);
      assert.ok((await field.getAttribute('aria-describedby')).split(/\s+/).includes(`${id}-error`), `${label} should be described by its error`);
    }
    await assertSummaryLinksResolve(page);
    assert.match(await page.locator('[id="f-G00000630-F00001017-error"]').innerText(), /Bitte geben Sie eine Zahl ein/);
    assert.equal(await page.getByLabel('Familienname', { exact: true }).inputValue(), 'Mustermann', 'valid answers are kept');
    assert.equal(await page.getByLabel('Größe', { exact: true }).inputValue(), 'abc', 'the bad answer is shown again for correction');
    // The summary's links lead to the fields.
    await summary.getByRole('link', { name: 'Bitte geben Sie „Vorname“ an.' }).click();
    assert.equal(new URL(page.url()).hash, '#f-G00000630-F00000045');

    // Fix it; choose from the code lists (a select and radios).
    await page.getByLabel('Vorname', { exact: true }).fill('Erika');
    await page.getByLabel('Größe', { exact: true }).fill('1,68');
    await page.getByLabel('Lichtbild', { exact: true }).setInputFiles({ name: 'lichtbild.png', mimeType: 'image/png', buffer: PNG });
    await page.getByRole('radio', { name: 'weiblich' }).check();
    await page.getByLabel('Staatsangehörigkeit', { exact: true }).selectOption({ label: 'Indien' });
    await fillRequired(page);
    await a.next(2);

    // --- Page 2: an address in Germany as a street address. ---
    const street = group(form, 'Straßenanschrift');
    await fillRequired(page, street);
    await street.getByRole('textbox', { name: 'Hausnummer – optional', exact: true }).fill('12');
    await fillRequired(page);
    await a.next(3);

    // --- Page 3: dates in German format. ---
    await fillRequired(page);
    await a.next(4);

    // --- Page 4: the university abroad, with a third address line. ---
    const abroad = group(form, 'Auslandsanschrift');
    await abroad.getByLabel('Staat', { exact: true }).selectOption({ label: 'Indien' });
    await abroad.getByLabel('ZeileAnschrift 1', { exact: true }).fill('Sardar Patel Road');
    await abroad.getByLabel('ZeileAnschrift 2', { exact: true }).fill('Adyar');
    await a.click(abroad.getByRole('button', { name: 'ZeileAnschrift hinzufügen' }), { title: `${PAGES[3]} – ozgo` });
    assert.equal(await abroad.getByLabel(/^ZeileAnschrift \d( – optional)?$/).count(), 3, 'a third address line after "hinzufügen"');
    assert.equal(await abroad.getByLabel('ZeileAnschrift 2', { exact: true }).inputValue(), 'Adyar', 'saved before adding');
    assert.equal(await abroad.getByLabel('Staat', { exact: true }).locator('option:checked').innerText(), 'Indien');
    // Lines beyond the two required ones are optional.
    await abroad.getByLabel('ZeileAnschrift 3 – optional', { exact: true }).fill('Chennai 600036');
    await fillRequired(page);
    await a.next(5);

    // --- Page 5: the employer's contact details, a repeatable group (1:*). ---
    const contact = group(form, 'Kontaktmöglichkeiten');
    const entries = contact.locator('fieldset').filter({ has: page.locator(':scope > legend', { hasText: /^Kommunikation \(Juristische Person\) \d/ }) });
    const entry = (n) => group(contact, `Kommunikation (Juristische Person) ${n}`);
    const addEntry = () => a.click(contact.getByRole('button', { name: 'Kommunikation (Juristische Person) hinzufügen' }), { title: `${PAGES[4]} – ozgo` });
    assert.equal(await entries.count(), 1, 'one entry to begin with');
    // The code list of Kommunikationskanal is missing from the schema: free text.
    await entry(1).getByLabel('Kommunikationskanal').fill('Telefon');
    await entry(1).getByLabel('Kommunikationskennung').fill('+49 7071 123456');
    await addEntry();
    assert.equal(await entries.count(), 2, 'a second entry after "hinzufügen"');
    assert.equal(await entry(1).getByLabel('Kommunikationskennung').inputValue(), '+49 7071 123456', 'the first entry was saved');
    await entry(2).getByLabel('Kommunikationskanal').fill('E-Mail');
    await entry(2).getByLabel('Kommunikationskennung').fill('personal@muster-software.example');
    await addEntry();
    assert.equal(await entries.count(), 3, 'a third entry after "hinzufügen"');
    await entry(3).getByLabel('Kommunikationskanal').fill('Fax');
    await a.click(contact.getByRole('button', { name: 'Kommunikation (Juristische Person) 3 entfernen' }), { title: `${PAGES[4]} – ozgo` });
    assert.equal(await entries.count(), 2, 'two entries after "3 entfernen"');
    assert.equal(await entry(2).getByLabel('Kommunikationskanal').inputValue(), 'E-Mail', 'the second entry is kept');
    await fillRequired(page);
    // Enter in a field saves and goes on (the form's default button); it
    // does not add an entry (the check page shows exactly two).
    await Promise.all([page.waitForEvent('framenavigated'), page.getByLabel('Berufliche Tätigkeit', { exact: true }).press('Enter')]);
    await a.onStep(6);

    // --- Page 6: health insurance: "Ja", then the insurer counts. ---
    await group(form, 'Besteht Krankenversicherungsschutz für die Bundesrepublik Deutschland?').getByLabel('Ja', { exact: true }).check();
    await page.getByLabel('Krankenversicherungsträger').fill('AOK Baden-Württemberg');
    await fillRequired(page);
    await a.next(7);

    // --- Page 7: a yes/no question of its own. ---
    await fillRequired(page);
    await a.next(8);

    // --- Page 8: "Nein" – the state typed below must not count. ---
    await group(form, 'Haben Sie in einem EU-Mitgliedsstaat einen Antrag auf Anerkennnung als international Schutzsuchender gestellt oder vorübergehenden Schutz beantragt?').getByLabel('Nein', { exact: true }).check();
    await page.getByLabel('In welchem Staat?').fill('Italien');
    await fillRequired(page);
    await a.next(9);

    // --- Pages 9 to 12: yes/no questions. ---
    for (let step = 9; step <= PAGES.length; step++) {
      await fillRequired(page);
      await a.next(step + 1);
    }

    // --- The check page. ---
    assert.equal(await page.getByRole('alert').count(), 0, 'no problems left on the check page');
    assert.match(await page.locator('.kern-preline').innerText(), new RegExp(`^Schritt ${STEPS} von ${STEPS}\\b`));
    const expectAnswer = async (label, want) => {
      const got = await answersOn(page, label);
      const ok = got.some((g) => (want instanceof RegExp ? want.test(g) : g === want));
      assert.ok(ok, `check page: ${label} should show ${want}, shows ${JSON.stringify(got)}`);
    };
    await expectAnswer('Familienname', 'Mustermann');
    await expectAnswer('Vorname', 'Erika');
    await expectAnswer('Geschlecht', 'weiblich');
    await expectAnswer('Staatsangehörigkeit', 'Indien');
    await expectAnswer('Größe', '1,68');
    await expectAnswer('Lichtbild', `lichtbild.png (${PNG.length} Byte)`);
    await expectAnswer('Einreise in das Bundesgebiet am', '01.10.2024');
    await expectAnswer('Staat', 'Indien');
    await expectAnswer('ZeileAnschrift 3', 'Chennai 600036');
    await expectAnswer('Jahresbruttobetrag der Einnahmen', '65.000,00 €');
    await expectAnswer('Kommunikationskennung', '+49 7071 123456');
    await expectAnswer('Kommunikationskennung', 'personal@muster-software.example');
    assert.deepEqual(await answersOn(page, 'Kommunikationskanal'), ['Telefon', 'E-Mail'], 'both entries, the removed one gone');
    await expectAnswer('Besteht Krankenversicherungsschutz für die Bundesrepublik Deutschland?', 'Ja');
    await expectAnswer('Krankenversicherungsträger', 'AOK Baden-Württemberg');
    await expectAnswer('Sind Sie vorbestraft?', 'Nein');
    assert.deepEqual(await answersOn(page, 'In welchem Staat?'), [], 'details to a question answered "Nein" do not count');

    // Change the first name through its "Ändern" link (named after the
    // field for screen readers) and come back here.
    await a.click(page.getByRole('link', { name: 'Ändern Vorname', exact: true }), { title: `${PAGES[0]} – ozgo` });
    assert.match(page.url(), new RegExp(`${SERVICE}/antrag/1\\?pruefen=1#f-G00000630-F00000045$`));
    assert.equal(await page.getByLabel('Vorname', { exact: true }).inputValue(), 'Erika');
    await page.getByLabel('Vorname', { exact: true }).fill('Erika Maria');
    await a.click(page.getByRole('button', { name: 'Speichern und zur Übersicht', exact: true }), {
      title: `${CHECK_TITLE} – ozgo`,
      url: new RegExp(`${SERVICE}/antrag/pruefen(#.*)?$`),
    });
    await expectAnswer('Vorname', 'Erika Maria');

    // --- The place: without it the application cannot go anywhere. ---
    assert.equal(await page.getByRole('button', { name: 'Antrag verbindlich absenden' }).count(), 0, 'no submit button without a place');
    assert.ok((await page.locator('main').innerText()).includes('Wohnort fehlt'));
    await chooseOrt(a, { query: '72070', name: 'Tübingen, Universitätsstadt', checkTitle: `${CHECK_TITLE} – ozgo` });
    assert.ok((await page.locator('main').innerText()).includes('Bürgerbüro Tübingen (Demo)'), 'the check page names the authority');

    // --- Submit. ---
    await a.click(page.getByRole('button', { name: 'Antrag verbindlich absenden' }), {
      title: `${RECEIPT_TITLE} – ozgo`,
      url: new RegExp(`${SERVICE}/antrag/eingang$`),
    });
    assert.equal(await page.locator('h1').innerText(), RECEIPT_TITLE);
    const receipt = await page.locator('main').innerText();
    assert.match(receipt, /Ihre Vorgangsnummer:\s*\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b/, 'the receipt names the Vorgangsnummer');
    assert.match(receipt, /Eingegangen am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr/);
    assert.ok(receipt.includes('Erika Maria'), 'the receipt repeats the answers, as changed');
    // The service page links to the receipt; the draft is gone.
    await a.goto(SERVICE, { title: `${SERVICE_TITLE} – ozgo` });
    assert.equal(await page.getByRole('link', { name: 'Eingangsbestätigung ansehen' }).count(), 1);
    await a.goto(`${SERVICE}/antrag/1`, { title: 'Kein Antrag gefunden – ozgo', status: 404 });
  });
});

describe('without JavaScript', { timeout: TEST_TIMEOUT }, () => {
  it('adds and removes a repeated entry with full page loads', async (t) => {
    const a = await applicant(t, { javaScriptEnabled: false });
    const { page } = a;
    await a.goto(SERVICE, { title: `${SERVICE_TITLE} – ozgo` });
    await a.click(page.getByRole('button', { name: 'Antrag starten' }), { title: `${PAGES[0]} – ozgo` });
    await a.goto(`${SERVICE}/antrag/5`, { title: `${PAGES[4]} – ozgo` });

    const contact = group(page.locator('form.ozgo-form'), 'Kontaktmöglichkeiten');
    const kanal = contact.getByLabel('Kommunikationskanal');
    await kanal.first().fill('Telefon');
    await a.click(contact.getByRole('button', { name: 'Kommunikation (Juristische Person) hinzufügen' }), { title: `${PAGES[4]} – ozgo` });
    assert.match(page.url(), /#f-G00000642-G00000132-G00000016-G00000015-1$/, 'back at the new entry');
    assert.equal(await kanal.count(), 2);
    assert.equal(await kanal.first().inputValue(), 'Telefon');
    await a.click(contact.getByRole('button', { name: 'Kommunikation (Juristische Person) 2 entfernen' }), { title: `${PAGES[4]} – ozgo` });
    assert.equal(await kanal.count(), 1);
    assert.equal(await kanal.first().inputValue(), 'Telefon');
  });
});

describe('the Mutterschutz service', { timeout: TEST_TIMEOUT }, () => {
  it('shows its first page and the errors of an empty submission', async (t) => {
    const a = await applicant(t);
    const { page } = a;
    const title = 'Beschäftigung einer schwangeren oder stillenden Frau mitteilen';
    const first = 'Informationen zum Arbeitgeber / zur Arbeitgeberin';
    await a.goto('/onlinedienste/mutterschutz-benachrichtigung', { title: `${title} – ozgo` });
    await a.click(page.getByRole('button', { name: 'Antrag starten' }), {
      title: `${first} – ozgo`,
      url: /\/onlinedienste\/mutterschutz-benachrichtigung\/antrag\/1$/,
    });
    assert.match(await page.locator('.kern-preline').innerText(), /^Schritt 1 von \d+\b/);
    await a.click(page.getByRole('button', { name: 'Speichern und weiter', exact: true }), { title: `Fehler: ${first} – ozgo`, status: 422 });
    const summary = page.getByRole('alert');
    assert.equal(await summary.getByRole('heading', { name: 'Es gibt ein Problem' }).count(), 1);
    await assertSummaryLinksResolve(page);
    assert.ok(
      (await summary.getByRole('link').allInnerTexts()).includes('Bitte geben Sie „Eingetragener Name“ an.'),
      'the summary names the missing "Eingetragener Name"',
    );
    assert.equal(await page.getByLabel('Eingetragener Name', { exact: true }).getAttribute('aria-invalid'), 'true');
  });
});
