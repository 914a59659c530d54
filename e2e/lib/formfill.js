// Filling in the pages of ozgo's form runtime generically, as a person
// would: every required field by its label or type. Shared by the browser
// tests of online services.

/** The default answer of a date field. */
export const DEFAULT_DATE = '31.12.2024';

/** A minimal PDF that passes the upload's content check (magic bytes). */
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n' +
    '2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

/**
 * The fields in `scope` (a form or a fieldset) that must be answered: those
 * whose label does not say "optional" and that are not inside an optional
 * group below `scope`. Radios are returned once per group, by name.
 */
export async function requiredFields(scope) {
  return scope.evaluate((root) => {
    const isOptional = (el) => !!el?.querySelector(':scope > .kern-label__optional');
    const fields = [];
    const radioGroups = new Set();
    for (const el of root.querySelectorAll('input, select, textarea')) {
      if (['hidden', 'submit', 'button'].includes(el.type)) continue;
      let optional = false;
      for (let fs = el.closest('fieldset'); fs && fs !== root && root.contains(fs); fs = fs.parentElement.closest('fieldset')) {
        if (isOptional(fs.querySelector(':scope > legend'))) optional = true;
      }
      if (el.type === 'radio') {
        if (optional || radioGroups.has(el.name)) continue;
        radioGroups.add(el.name);
        const group = el.closest('fieldset');
        fields.push({ kind: 'radio', name: el.name, label: group.querySelector(':scope > legend').textContent.trim() });
        continue;
      }
      const label = document.querySelector(`label[for="${el.id}"]`);
      if (optional || isOptional(label)) continue;
      const hint = (el.getAttribute('aria-describedby') ?? '')
        .split(/\s+/)
        .filter((id) => id.endsWith('-hint'))
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' ');
      fields.push({
        kind: el.tagName === 'SELECT' ? 'select' : el.type === 'file' ? 'file' : 'text',
        id: el.id,
        label: label.textContent.trim(),
        hint,
        inputMode: el.inputMode,
        maxLength: el.maxLength,
      });
    }
    return fields;
  });
}

/** A valid answer for a text field: from `answers` by label, else by type. */
export function answerFor({ label, hint, inputMode, maxLength }, answers = {}) {
  let value = answers[label];
  if (value === undefined) {
    if (/TT\.MM\.JJJJ/.test(hint)) value = DEFAULT_DATE;
    else if (/Betrag in Euro/.test(hint)) value = '1.234,56';
    else if (inputMode === 'decimal') value = '1.234,5';
    else if (inputMode === 'numeric') value = '3';
    else value = `Angabe zu ${label}`;
  }
  return maxLength > 0 ? value.slice(0, maxLength) : value;
}

/**
 * Answers every required field in `scope` that is still empty: text by
 * `answers` (label → value) or type, selects "Deutschland" (or the first
 * option), radios "Nein"
 * (or the first option), files a small PDF named after the field.
 */
export async function fillRequired(page, scope = page.locator('form.ozgo-form'), answers = {}) {
  for (const f of await requiredFields(scope)) {
    if (f.kind === 'radio') {
      const radios = page.locator(`input[type=radio][name="${f.name}"]`);
      if (await radios.evaluateAll((rs) => rs.some((r) => r.checked))) continue;
      const nein = page.locator(`input[type=radio][name="${f.name}"][value="false"]`);
      await ((await nein.count()) ? nein : radios.first()).check();
      continue;
    }
    const field = page.locator(`[id="${f.id}"]`);
    if (f.kind === 'select') {
      if ((await field.inputValue()) !== '') continue;
      // "Deutschland" where the list has it, else the first real option.
      const labels = await field.locator('option').allInnerTexts();
      if (labels.includes('Deutschland')) await field.selectOption({ label: 'Deutschland' });
      else await field.selectOption({ index: (await field.locator('option').first().getAttribute('value')) === '' ? 1 : 0 });
    } else if (f.kind === 'file') {
      // A file kept from an earlier save is shown next to the field.
      if (await field.evaluate((el) => el.files.length > 0)) continue;
      if ((await page.locator(`[id="${f.id}-current"]`).count()) > 0) continue;
      await field.setInputFiles({ name: `${f.id.slice(2)}.pdf`, mimeType: 'application/pdf', buffer: PDF });
    } else {
      if ((await field.inputValue()) !== '') continue;
      const value = answerFor(f, answers);
      await field.fill(value);
    }
  }
}

/**
 * Chooses the place of residence from the check page of an application:
 * follows "Wohnort wählen", searches `query` (a name or postcode), picks the
 * Gemeinde whose name starts with `name` and arrives back on the check page
 * titled `checkTitle`. `v` is a visitor (lib/visitor.js); every page is
 * checked on arrival, axe included.
 */
export async function chooseOrt(v, { query, name, checkTitle }) {
  const { page } = v;
  await v.click(page.getByRole('link', { name: 'Wohnort wählen', exact: true }), { title: 'Wohnort wählen – ozgo', url: /\/ort\?zurueck=/ });
  await page.getByLabel('Ihr Wohnort', { exact: false }).fill(query);
  await v.click(page.getByRole('button', { name: 'Ort suchen' }), { title: `Wohnort wählen: ${query} – ozgo` });
  await v.click(page.locator('button.ozgo-choice').filter({ hasText: name }).first(), { title: checkTitle, url: /\/antrag\/pruefen$/ });
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Fills in every page of an application from its first page to the check
 * page, as a person would: the required fields by their type (answers by
 * label where that is not enough), and a group that a rule makes
 * necessary ("Bitte machen Sie Angaben zu „…“") when the page asks for it.
 * `v` is a visitor on the first form page; `service` the service's path.
 */
export async function fillAllPages(v, service, answers = {}) {
  const { page } = v;
  for (let step = 1; step < 40 && !/\/antrag\/pruefen$/.test(page.url()); step++) {
    await v.arrive({ title: `${await page.locator('h1').innerText()} – ozgo`, url: new RegExp(`${service}/antrag/\\d+`) });
    await fillRequired(page, undefined, answers);
    for (let tries = 0; ; tries++) {
      const [res] = await Promise.all([
        page.waitForNavigation(),
        page.getByRole('button', { name: 'Speichern und weiter', exact: true }).click(),
      ]);
      if (res?.status() !== 422) break;
      await v.arrive({ title: `Fehler: ${await page.locator('h1').innerText()} – ozgo`, status: 422 });
      const problems = await page.getByRole('alert').getByRole('link').allInnerTexts();
      if (tries >= 3) throw new Error(`page ${step} still refused: ${problems.join('; ')}`);
      for (const p of problems) {
        const legend = p.match(/^Bitte machen Sie Angaben zu „(.+)“\.$/)?.[1];
        if (!legend) continue;
        const fieldset = page
          .locator('fieldset')
          .filter({ has: page.locator(':scope > legend', { hasText: new RegExp(`^${escapeRegExp(legend)}(\\s+– optional)?$`) }) })
          .first();
        await fillRequired(page, fieldset, answers);
        // A group of alternatives (street address or post box, say): the
        // first one.
        if (tries > 0) {
          const inner = fieldset.locator('fieldset').filter({ has: page.locator(':scope > legend .kern-label__optional') });
          if ((await inner.count()) > 0) await fillRequired(page, inner.first(), answers);
        }
      }
      await fillRequired(page, undefined, answers);
    }
  }
}

/** Answers by label for the demo service "Mutterschutz" (S00000094) where the type alone gives no valid one. */
export const MUTTERSCHUTZ_ANSWERS = Object.freeze({
  'E-Mail-Adresse': 'personal@muster-software.example',
  Postleitzahl: '72070',
  Ort: 'Tübingen',
  Straße: 'Hauptstraße',
  Hausnummer: '1',
  Telefonnummer: '+49 7071 123456',
  Jahr: '2024',
  Monat: '5',
});
