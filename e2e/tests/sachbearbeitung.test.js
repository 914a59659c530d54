// The authority answers, in headless Chromium against `ozgo demo` with an
// SMTP server run by the test:
//
//   - a citizen logs in through the test IdP and submits the demo service
//     "Beschäftigung einer schwangeren oder stillenden Frau mitteilen" for
//     Tübingen;
//   - a clerk of the demo tenant logs in, finds the application in
//     /sachbearbeitung and requests a missing document with a due date;
//   - the citizen gets an e-mail (captured here) that says only that there
//     is a message and links the Postfach, opens the Postfach and answers
//     with a PDF;
//   - the clerk sees the document, decides and sends the Bescheid;
//   - the citizen sees the Bescheid (with its PDF) in the Postfach and the
//     state "entschieden: bewilligt" in "Meine Anträge".
//
// Every ozgo page is checked on arrival, axe included.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { chooseOrt, fillAllPages, MUTTERSCHUTZ_ANSWERS, PDF } from '../lib/formfill.js';
import { printOutputOnFailure, startServer } from '../lib/server.js';
import { startSMTP } from '../lib/smtp.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const SERVICE = '/onlinedienste/mutterschutz-benachrichtigung';
const SERVICE_TITLE = 'Beschäftigung einer schwangeren oder stillenden Frau mitteilen';
const CHECK_TITLE = 'Angaben prüfen und absenden';
const ANSWERS = MUTTERSCHUTZ_ANSWERS;

let server;
let browser;
let smtp;

before(
  async () => {
    smtp = await startSMTP();
    server = await startServer({
      demo: true,
      timeoutMs: 200_000,
      args: ['--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port), '--smtp-security', 'none'],
    });
    browser = await launchBrowser();
  },
  { timeout: 260_000 },
);

after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

afterEach((t) => printOutputOnFailure(t, server));

describe('Rückkanal', { timeout: 300_000 }, () => {
  it('runs the loop from application to Bescheid', async (t) => {
    // --- The citizen applies, logged in. ---
    const c = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const cp = c.page;
    await c.goto('/anmelden', { title: 'Anmelden – ozgo' });
    await cp.getByRole('button', { name: 'Anmelden mit BundID' }).click();
    await cp.waitForURL((u) => u.href.startsWith(server.devidpURL));
    await cp.getByRole('button', { name: 'Als Testperson anmelden' }).click();
    await cp.waitForURL((u) => u.href.startsWith(server.url));
    await c.arrive({ title: 'Mein Konto – ozgo', url: /\/konto$/ });
    const email = (await cp.locator('dt:text-is("E-Mail-Adresse") + dd').innerText()).trim();
    assert.match(email, /@/);

    await c.goto(SERVICE, { title: `${SERVICE_TITLE} – ozgo` });
    await Promise.all([cp.waitForEvent('framenavigated'), cp.getByRole('button', { name: 'Antrag starten' }).click()]);
    await fillAllPages(c, SERVICE, ANSWERS);
    await c.arrive({ title: `${CHECK_TITLE} – ozgo`, url: /\/antrag\/pruefen$/ });
    await chooseOrt(c, { query: 'Tübingen', name: 'Tübingen, Universitätsstadt', checkTitle: `${CHECK_TITLE} – ozgo` });
    await c.click(cp.getByRole('button', { name: 'Antrag verbindlich absenden' }), { title: 'Ihr Antrag ist eingegangen – ozgo' });
    const reference = (await cp.locator('main').innerText()).match(/(\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b/)?.[1];
    assert.ok(reference, 'the receipt names the Vorgangsnummer');
    await c.goto('/antraege', { title: 'Meine Anträge – ozgo' });
    assert.ok((await cp.locator('main').innerText()).includes(reference));

    // --- The clerk finds it and requests a document. ---
    const k = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
    const kp = k.page;
    await k.goto('/mitarbeiter/anmelden', { title: 'Anmeldung für Mitarbeitende – ozgo' });
    await kp.getByLabel('E-Mail-Adresse').fill('sachbearbeitung@tuebingen.example');
    await kp.getByLabel('Passwort').fill('demo-sachbearbeitung-2026');
    await k.click(kp.getByRole('button', { name: 'Anmelden', exact: true }), { title: 'Mein Konto – ozgo' });
    await k.goto('/sachbearbeitung', { title: 'Sachbearbeitung – ozgo' });
    await k.click(kp.getByRole('link', { name: reference }), { title: `Vorgang ${reference} – ozgo` });
    await k.click(kp.getByRole('button', { name: 'Vorgang übernehmen' }), { title: `Vorgang ${reference} – ozgo` });
    await kp.getByLabel('Nachforderung von Unterlagen').check();
    await kp.getByLabel('Text', { exact: true }).fill('Bitte reichen Sie die Bescheinigung des Arztes nach.');
    await kp.getByLabel('Frist (bei Nachforderungen)').fill('31.12.2026');
    await k.click(kp.getByRole('button', { name: 'Nachricht senden' }), { title: `Vorgang ${reference} – ozgo` });
    assert.ok((await kp.locator('main').innerText()).includes('Die Nachricht ist zugestellt.'));

    // --- The e-mail: only that there is a message, and the link. ---
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    assert.match(mail.data, /\/postfach/);
    assert.ok(!mail.data.includes('Bescheinigung des Arztes'), 'the e-mail holds no content of the message');

    // --- The citizen answers in the Postfach with the document. ---
    await c.goto('/postfach', { title: 'Postfach – ozgo' });
    await c.click(cp.getByRole('link', { name: /Nachforderung von Unterlagen/ }).first(), { title: 'Nachforderung von Unterlagen – ozgo' });
    assert.ok((await cp.locator('main').innerText()).includes('Bescheinigung des Arztes'));
    await cp.getByLabel('Ihre Nachricht').fill('Anbei die Bescheinigung.');
    await cp.getByLabel('Dateien anhängen (optional)').setInputFiles({ name: 'bescheinigung.pdf', mimeType: 'application/pdf', buffer: PDF });
    await c.click(cp.getByRole('button', { name: 'Nachricht senden' }), { title: 'Nachforderung von Unterlagen – ozgo' });
    assert.ok((await cp.locator('main').innerText()).includes('Ihre Nachricht wurde gesendet.'));

    // --- The clerk sees it and decides with a Bescheid. ---
    await k.goto(`/sachbearbeitung`, { title: 'Sachbearbeitung – ozgo' });
    await k.click(kp.getByRole('link', { name: reference }), { title: `Vorgang ${reference} – ozgo` });
    assert.ok((await kp.locator('main').innerText()).includes('bescheinigung.pdf'));
    await kp.getByLabel('bewilligt').check();
    await k.click(kp.getByRole('button', { name: 'Bescheid erstellen und zustellen' }), { title: `Vorgang ${reference} – ozgo` });
    assert.ok((await kp.locator('main').innerText()).includes('Der Bescheid ist erstellt und zugestellt.'));

    // --- The citizen sees the Bescheid and the state. ---
    await c.goto('/antraege', { title: 'Meine Anträge – ozgo' });
    assert.ok((await cp.locator('main').innerText()).includes('entschieden: bewilligt'));
    await c.goto('/postfach', { title: 'Postfach – ozgo' });
    await c.click(cp.getByRole('link', { name: /Bescheid/ }).first(), { title: 'Bescheid – Bewilligung – ozgo' });
    const pdfLink = cp.getByRole('link', { name: `Bescheid-${reference}.pdf` });
    const res = await cp.request.get(new URL(await pdfLink.getAttribute('href'), server.url).href);
    assert.equal(res.status(), 200);
    assert.equal((await res.body()).subarray(0, 5).toString('latin1'), '%PDF-');
  });
});
