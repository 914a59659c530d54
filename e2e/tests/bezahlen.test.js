// Paying for an application against `ozgo demo` and its built-in payment
// simulator (ozgo paysim, XBezahldienste) in headless Chromium. The demo's
// "Blaue Karte EU verlängern" costs 93 € (§ 45 Nr. 2 Buchst. b AufenthV),
// paid before the application is submitted.
//
//   - cancel at the provider → the retry page, the draft intact; failure →
//     the same; then paid → the application is submitted and carries
//     paymentInformation with status BOOKED (shown to the applicant and
//     listed by `ozgo payment list`); a replayed return changes nothing;
//   - paid, but the tab is closed before the return → the reconciliation
//     job submits the application on its own; the applicant who comes back
//     later sees the confirmation.
//
// ozgo's pages are checked with axe (WCAG 2.1 A/AA) on arrival; the
// simulator's pages are a test tool and only driven.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import { launchBrowser } from '../lib/browser.js';
import { chooseOrt, fillAllPages } from '../lib/formfill.js';
import { ozgoBinary, printOutputOnFailure, startServer } from '../lib/server.js';
import { visitor as newVisitor } from '../lib/visitor.js';

const SERVICE = '/onlinedienste/blaue-karte-eu-verlaengern';
const SERVICE_TITLE = 'Blaue Karte EU verlängern (mit Online-Ausweis)';
const FEE = '93,00 €';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let server;
let browser;
let paysimURL;

before(
  async () => {
    server = await startServer({
      demo: true,
      timeoutMs: 150_000,
      // The reconciliation job looks every second, so the closed tab is
      // noticed quickly.
      env: { OZGO_PAYMENT_RECHECK: '1s' },
    });
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

/** `ozgo payment list --json` on the demo's data directory. */
async function payments() {
  const { stdout } = await promisify(execFile)(ozgoBinary(), ['payment', 'list', '--json', '--data', server.dataDir, '--log-level', 'error'], {
    env: { ...process.env },
  });
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Logs in at "hoch", fills the form and arrives at the fee page. */
async function applyUntilFee(t) {
  const v = await newVisitor(t, browser, server.url, {}, { waitUntil: 'load' });
  const { page } = v;
  await v.goto(SERVICE, { title: `${SERVICE_TITLE} – ozgo` });
  await v.click(page.getByRole('link', { name: 'Anmelden und Antrag starten' }), { title: 'Anmelden – ozgo', url: /\/anmelden\?/ });
  await page.getByRole('button', { name: 'Anmelden mit BundID' }).click();
  await page.waitForURL((u) => u.href.startsWith(server.devidpURL), { timeout: 15_000 });
  await page.locator('input[name="level"][value="hoch"]').check();
  await page.getByRole('button', { name: 'Als Testperson anmelden' }).click();
  await page.waitForURL((u) => u.href.startsWith(server.url), { timeout: 15_000 });
  await v.arrive({ title: `${SERVICE_TITLE} – ozgo`, url: new RegExp(`${SERVICE}$`) });
  await Promise.all([page.waitForURL(/\/antrag\/1$/), page.getByRole('button', { name: 'Antrag starten' }).click()]);
  await page.waitForLoadState('load');
  // The photo must be an image; everything else is filled generically.
  await page.getByLabel('Lichtbild', { exact: true }).setInputFiles({ name: 'bild.png', mimeType: 'image/png', buffer: PNG });
  await fillAllPages(v, SERVICE);
  await v.arrive({ title: 'Angaben prüfen und absenden – ozgo', url: /\/antrag\/pruefen$/ });
  await chooseOrt(v, { query: 'Tübingen', name: 'Tübingen, Universitätsstadt', checkTitle: 'Angaben prüfen und absenden – ozgo' });
  await v.click(page.getByRole('button', { name: 'Antrag verbindlich absenden' }), { title: 'Gebühr bezahlen – ozgo', url: /\/antrag\/bezahlen$/ });
  const table = page.locator('#gebuehr');
  assert.match(await table.innerText(), /Verlängerung der Blauen Karte EU/);
  assert.match(await table.locator('tfoot').innerText(), new RegExp(FEE));
  await page.getByText('§ 45 Nr. 2 Buchst. b Aufenthaltsverordnung (AufenthV)').waitFor();
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

/** Chooses an outcome on the payment page and returns to ozgo. */
async function decide(v, outcome, expect) {
  const { page } = v;
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(server.url), { timeout: 15_000 }),
    page.getByRole('button', { name: outcome }).click(),
  ]);
  return v.arrive(expect);
}

describe('paying for an application', { timeout: 300_000 }, () => {
  it('cancel and failure lead to the retry page with the draft kept; then paid and submitted with BOOKED', async (t) => {
    const v = await applyUntilFee(t);
    const { page } = v;

    await toProvider(v, page.getByRole('button', { name: `${FEE} bezahlen und Antrag absenden` }));
    await decide(v, 'Zahlung abbrechen', { title: 'Die Zahlung wurde abgebrochen – ozgo', url: /\/antrag\/bezahlen$/ });
    await page.getByText('Es wurde kein Geld abgebucht.', { exact: false }).first().waitFor();
    // The draft is intact: the check page still has the answers.
    await v.click(page.getByRole('link', { name: 'Zurück zu Ihren Angaben' }), { title: 'Angaben prüfen und absenden – ozgo', url: /\/antrag\/pruefen$/ });
    assert.match(await page.locator('main').innerText(), /Angabe zu Familienname/);
    await v.goto(`${SERVICE}/antrag/bezahlen`, { title: 'Die Zahlung wurde abgebrochen – ozgo' });

    await toProvider(v, page.getByRole('button', { name: 'Erneut bezahlen' }));
    await decide(v, 'Zahlung fehlgeschlagen', { title: 'Die Zahlung ist fehlgeschlagen – ozgo', url: /\/antrag\/bezahlen$/ });

    const payURL = await toProvider(v, page.getByRole('button', { name: 'Erneut bezahlen' }));
    await decide(v, 'Zahlung erfolgreich', { title: 'Bezahlt und Antrag abgeschickt – ozgo', url: /\/antrag\/zahlung$/ });
    assert.match(await page.locator('#zahlung-status').innerText(), /BOOKED/);
    const transaction = payURL.split('/pay/')[1];
    assert.equal(await page.locator('#zahlung-transaktion').innerText(), transaction);
    await v.click(page.getByRole('link', { name: 'Zur Eingangsbestätigung mit Ihren Angaben' }), { title: 'Ihr Antrag ist eingegangen – ozgo', url: /\/antrag\/eingang$/ });

    // The submission carries the payment as FIT-Connect paymentInformation.
    const all = (await payments()).filter((p) => p.service === 'blaue-karte-eu-verlaengern');
    const paid = all.filter((p) => p.submissionId !== '');
    assert.equal(paid.length, 1, `one submitted payment: ${JSON.stringify(all)}`);
    assert.equal(paid[0].attempt, 3);
    assert.equal(paid[0].paymentInformation.status, 'BOOKED');
    assert.equal(paid[0].paymentInformation.transactionId, transaction);
    assert.equal(paid[0].paymentInformation.grossAmount, 93);
    assert.equal(paid[0].paymentInformation.paymentMethod, 'CREDITCARD');
    assert.deepEqual(all.map((p) => p.status).sort(), ['CANCELED', 'FAILED', 'PAYED']);

    // A replayed return (back button, reload) does not submit again.
    await v.goto(`${SERVICE}/antrag/bezahlt?zahlung=${paid[0].id}`, { title: 'Bezahlt und Antrag abgeschickt – ozgo' });
    assert.equal((await payments()).filter((p) => p.submissionId !== '').length, 1);
  });

  it('completes the submission through the reconciliation job when the tab is closed before the return', async (t) => {
    const v = await applyUntilFee(t);
    const { page } = v;
    const payURL = await toProvider(v, page.getByRole('button', { name: `${FEE} bezahlen und Antrag absenden` }));
    const transaction = payURL.split('/pay/')[1];
    // Pay without following the way back, then leave: the tab is closed.
    const res = await page.request.post(payURL, { form: { ergebnis: 'bezahlt', zahlart: 'GIROPAY' }, maxRedirects: 0 });
    assert.equal(res.status(), 303);
    const back = new URL(res.headers().location);
    await page.goto('about:blank');

    let done;
    for (let i = 0; i < 60 && !done; i++) {
      done = (await payments()).find((p) => p.paymentInformation.transactionId === transaction && p.submissionId !== '');
      if (!done) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(done, 'the reconciliation job should have submitted the paid application');
    assert.equal(done.paymentInformation.status, 'BOOKED');
    assert.equal(done.paymentInformation.paymentMethod, 'GIROPAY');

    // Coming back later, the applicant sees the confirmation.
    await v.goto(back.pathname + back.search, { title: 'Bezahlt und Antrag abgeschickt – ozgo', url: /\/antrag\/zahlung$/ });
    assert.match(await page.locator('#zahlung-status').innerText(), /BOOKED/);
  });
});
