// SPDX-License-Identifier: Apache-2.0
// The real-browser test of `vigil serve`'s public pages and analyst console:
// headless Debian Chromium driven by playwright-core.  Two members of the
// public file reports (one in English through the form's error page, one in
// French with a named child), a third only with the keyboard; the resources
// page by country; the awareness video; then an analyst logs in (a wrong
// password first), finds the reports in the queue (named child first),
// splits one, records an outcome, is refused the admin pages and logs out.
// All along: no console errors, no 5xx, no request leaves the server's
// origin, every visible field has a <label>.  Pages are found by the ids and
// names of the contract, never by their wording, so both languages pass.
//
// Prints one line per check ("ok - ..." / "not ok - ..."), "# ..." for notes
// and warnings (not counted), then "N passed, N failed"; exits 1 on any
// failure.  A check listed in KNOWN below is a page bug already reported:
// its failure prints "not ok - ... # TODO <the bug>" and is not counted
// (TAP's TODO), and once it passes it says so, to be taken off the list;
// VIGIL_BROWSER_STRICT=1 counts them as failures.  Full-page screenshots of
// every step go to VIGIL_SCREENSHOTS.
//
// Environment:
//   VIGIL_URL                 the server, e.g. http://127.0.0.1:8080 (required)
//   VIGIL_ANALYST_USER/_PASSWORD  an analyst's account (required)
//   VIGIL_SCREENSHOTS         where the PNGs go (default ./screenshots)
//   VIGIL_RESOURCES_JSON      web/resources.json, to know each country's
//                             hotline (default: ../../web/resources.json)
//   VIGIL_BROWSER_DEPS        the folder whose node_modules holds
//                             playwright-core (default: this folder)
//   VIGIL_CHROMIUM            the browser (default /usr/bin/chromium)
//   VIGIL_I18N_DIR            web/i18n (default ../../web/i18n), for the
//                             two messages looked for: the named-child tag
//                             and the error title
//   VIGIL_TIMEOUT_MS          per navigation and action (default 30000)
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEPS = resolve(process.env.VIGIL_BROWSER_DEPS || HERE);
const { chromium } = createRequire(join(DEPS, 'package.json'))('playwright-core');

const BASE = (process.env.VIGIL_URL || '').replace(/\/+$/, '');
const USER = process.env.VIGIL_ANALYST_USER;
const PASSWORD = process.env.VIGIL_ANALYST_PASSWORD;
const SHOTS = resolve(process.env.VIGIL_SCREENSHOTS || join(HERE, 'screenshots'));
const RESOURCES = process.env.VIGIL_RESOURCES_JSON || join(HERE, '..', '..', 'web', 'resources.json');
const CHROMIUM = process.env.VIGIL_CHROMIUM || '/usr/bin/chromium';
const I18N = process.env.VIGIL_I18N_DIR || join(HERE, '..', '..', 'web', 'i18n');
const TIMEOUT = Number(process.env.VIGIL_TIMEOUT_MS || 30000);
const STRICT = process.env.VIGIL_BROWSER_STRICT === '1';
if (!BASE || !USER || !PASSWORD) {
  console.error('flow.mjs: set VIGIL_URL, VIGIL_ANALYST_USER and VIGIL_ANALYST_PASSWORD');
  process.exit(2);
}
const ORIGIN = new URL(BASE).origin;
const REF_RE = /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/;
const TYPES = ['csam', 'luring', 'prostitution', 'travel', 'trafficking',
  'explicit_material', 'agreement', 'intimate_images'];
const TECHS = ['website', 'p2p', 'magnet', 'newsgroup', 'email', 'chat', 'gaming', 'other'];
const YNU = ['yes', 'no', 'unsure'];
const OUTCOMES = ['police', 'child_welfare', 'partner_hotline', 'no_action'];

// Page bugs found by this test and reported, by the check that shows them.
// Take an entry off when its page is fixed (the run says when).
const KNOWN = {};

// ---- counting checks, as tests/integration/lib.sh does ----
let passed = 0, failed = 0, todo = 0;
function check(desc, cond, detail) {
  const known = !STRICT && Object.prototype.hasOwnProperty.call(KNOWN, desc);
  if (cond) {
    passed++;
    console.log(`ok - ${desc}${known ? ' # TODO passes now: take it off KNOWN in tests/browser/flow.mjs' : ''}`);
  } else if (known) {
    todo++;
    console.log(`not ok - ${desc}${detail !== undefined ? ` (${detail})` : ''} # TODO known page bug: ${KNOWN[desc]}`);
  } else {
    failed++;
    console.log(`not ok - ${desc}${detail !== undefined ? ` (${detail})` : ''}`);
  }
  return !!cond;
}
const note = (s) => console.log(`# ${s}`);
const warn = (s) => console.log(`# warning: ${s}`);
// A phase that throws (a missing element, a timeout) is one failure; the
// phases after it still run with what they have.
async function phase(name, fn) {
  note(`-- ${name}`);
  try { return await fn(); }
  catch (e) { check(`${name}: ran to the end`, false, String(e.message || e).split('\n')[0]); return undefined; }
}

// ---- what every page is watched for ----
const consoleErrors = [];
const VIDEO = '/static/video/awareness-sample.webm';
let favicon404 = 0, video404 = 0;
const foreign = new Set();
const serverErrors = [];
// Chromium logs a console error for every 4xx document; these are expected.
const expected4xx = [];
function watch(page) {
  page.setDefaultTimeout(TIMEOUT);
  page.setDefaultNavigationTimeout(TIMEOUT);
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location() && m.location().url ? m.location().url : page.url();
    const st = /status of (\d{3})/.exec(m.text());
    const wpath = new URL(where, BASE).pathname;
    if (st && expected4xx.some((e) => e.status === +st[1] && wpath === e.path))
      return;
    // these two have their own checks (Chromium's own request for the
    // icon is not one of the page's: only its console error shows it)
    if (st && +st[1] === 404 && wpath === '/favicon.ico') { favicon404++; return; }
    if (st && +st[1] === 404 && wpath === VIDEO) return;
    consoleErrors.push(`${m.text()} [${where}]`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message} [${page.url()}]`));
  page.on('request', (r) => {
    const u = r.url();
    if (/^(data|blob|about):/.test(u)) return;
    if (new URL(u).origin !== ORIGIN) foreign.add(u);
  });
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    const rp = new URL(r.url()).pathname;
    if (rp === VIDEO && r.status() === 404) video404++;
  });
}
function expect4xx(path, status) { expected4xx.push({ path, status }); }

let shotNo = 0;
async function shot(page, name) {
  shotNo++;
  const file = join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  try { await page.screenshot({ path: file, fullPage: true }); }
  catch (e) { warn(`screenshot ${file}: ${e.message}`); }
}

const path = (page) => new URL(page.url()).pathname;
const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);
const count = (page, sel) => page.locator(sel).count();
const visible = async (page, sel) => (await count(page, sel)) > 0 && page.locator(sel).first().isVisible();
const text = async (page, sel) => ((await page.locator(sel).first().textContent()) || '').trim();

// Every visible input, select and textarea inside `scope` has a <label>.
async function labelled(page, scope, what) {
  const missing = await page.evaluate((sel) => {
    const root = document.querySelector(sel);
    if (!root) return ['(no ' + sel + ')'];
    return [...root.querySelectorAll('input, select, textarea')]
      .filter((e) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(e.type))
      .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
      .filter((e) => !(e.labels && e.labels.length > 0))
      .map((e) => e.id || e.name || e.outerHTML.slice(0, 60));
  }, scope);
  return check(`${what}: every visible field has a <label>`, missing.length === 0, `unlabelled: ${missing.join(', ')}`);
}

// Submit by clicking `sel` and wait for the page that comes back.  Returns
// {post, final}: the status of the form's own response (a 303 is read from
// the redirect chain) and of the page shown.
async function submit(page, sel, how = 'click') {
  // (caught at once: a click that fails must not leave it unhandled)
  const nav = page.waitForNavigation({ timeout: TIMEOUT }).catch((e) => e);
  if (how === 'click') await page.click(sel);
  else await page.keyboard.press(how);
  const resp = await nav;
  if (resp instanceof Error) throw resp;
  let first = resp && resp.request();
  while (first && first.redirectedFrom()) first = first.redirectedFrom();
  const firstResp = first && first !== (resp && resp.request()) ? await first.response() : resp;
  return { post: firstResp ? firstResp.status() : 0, final: resp ? resp.status() : 0, method: first ? first.method() : '',
    origin: first ? await first.headerValue('origin') : null };
}

// Submit a form the browser's own validation would stop (HTML required
// attributes without novalidate): then the server's error page is never
// reached, and that is the failure.
async function submitOrExplain(page, formSel, btnSel) {
  const blocked = await page.evaluate((s) => {
    const f = document.querySelector(s);
    return !f.noValidate && !f.checkValidity();
  }, formSel);
  if (!check('the form reaches the server (novalidate, or nothing required by the browser)', !blocked,
    "the browser's own validation stops it, so #error-summary is never shown")) return false;
  await submit(page, btnSel);
  return true;
}

function loadResources() {
  try { return JSON.parse(readFileSync(RESOURCES, 'utf8')).countries; }
  catch (e) { check(`${RESOURCES} is readable`, false, e.message); return null; }
}
const countries = loadResources();
// One message of the catalogue (web/i18n/LANG.txt: "key = text"), or null.
function message(lang, key) {
  try {
    const line = readFileSync(join(I18N, `${lang}.txt`), 'utf8').split('\n')
      .find((l) => l.split('=')[0].trim() === key);
    return line ? line.slice(line.indexOf('=') + 1).trim() : null;
  } catch { return null; }
}

// The resources page for `cc` ('*': the international fallback) shows its
// three sections with links, and the hotline of resources.json.
async function checkResources(page, cc, lang = 'en') {
  for (const s of ['hotline', 'children', 'parents'])
    check(`resources ${cc}: #${s} with a link`, (await count(page, `#${s} a[href]`)) > 0);
  if (!countries || !countries[cc]) return;
  const hrefs = await page.$$eval('#hotline a[href]', (as) => as.map((a) => a.href));
  const want = countries[cc].hotline.map((h) => (lang === 'fr' && h.url_fr) || h.url);
  check(`resources ${cc}: #hotline links to ${want[0]}`, hrefs.includes(want[0]), `links: ${hrefs.join(' ')}`);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  timeout: TIMEOUT * 2,
  // the environment's proxy is for the registries, never for 127.0.0.1
  args: ['--no-proxy-server', '--disable-gpu'],
});
note(`Chromium ${browser.version()}, server ${BASE}, screenshots in ${SHOTS}`);
mkdirSync(SHOTS, { recursive: true });
for (const f of readdirSync(SHOTS)) if (/^\d\d-.*\.png$/.test(f)) unlinkSync(join(SHOTS, f));
// `locale` sets Accept-Language; playwright lets it win over a header, so a
// precise Accept-Language goes without one.
async function context(locale, acceptLanguage) {
  const ctx = await browser.newContext(acceptLanguage
    ? { extraHTTPHeaders: { 'Accept-Language': acceptLanguage }, viewport: { width: 1280, height: 900 } }
    : { locale, viewport: { width: 1280, height: 900 } });
  ctx.on('page', watch);
  return ctx;
}

const refs = {};
let englishSubmitText = '';

// ---- 1. a member of the public, in English ----
const en = await context('en-CA');
const p1 = await en.newPage();

await phase('home (en)', async () => {
  const r = await p1.goto(`${BASE}/`);
  check('GET /: 200', r.status() === 200, r.status());
  check('home: <html lang="en"> (Accept-Language en-CA)', (await htmlLang(p1)) === 'en', await htmlLang(p1));
  // the header links to the other language (the page's own may be absent)
  check('home: a language link a[hreflang=fr]', (await count(p1, 'a[hreflang=fr]')) > 0);
  const href = await p1.getAttribute('a#report-link', 'href');
  check('home: a#report-link to /report', href && new URL(href, BASE).pathname === '/report', href);
  await shot(p1, 'home-en');
  await p1.click('a#report-link');
  check('the report link opens /report', path(p1) === '/report', p1.url());
});

await phase('report form (en): its fields', async () => {
  if (path(p1) !== '/report') await p1.goto(`${BASE}/report?lang=en`);
  const form = await p1.evaluate(() => {
    const f = document.querySelector('form#report-form');
    return f && { method: f.method, action: new URL(f.action, location.href).pathname };
  });
  check('form#report-form, POST /report', form && form.method === 'post' && form.action === '/report', JSON.stringify(form));
  for (const t of TYPES)
    check(`incident_type radio #type-${t}`,
      (await count(p1, `#report-form input#type-${t}[type=radio][name=incident_type][value=${t}]`)) === 1);
  check('incident_at: input type=datetime-local', (await count(p1, '#report-form input#incident_at[type=datetime-local][name=incident_at]')) === 1);
  const techs = await p1.$$eval('#report-form select#technology[name=technology] option', (os) => os.map((o) => o.value));
  check('technology: a select with every technology', TECHS.every((t) => techs.includes(t)), techs.join(','));
  check('urls: a textarea', (await count(p1, '#report-form textarea#urls[name=urls]')) === 1);
  check('detail: an input', (await count(p1, '#report-form input#detail[name=detail]')) === 1);
  check('description: a textarea', (await count(p1, '#report-form textarea#description[name=description]')) === 1);
  for (const q of ['luring_meet', 'luring_images', 'intimate_self', 'intimate_threatened'])
    for (const v of YNU)
      check(`radio #${q}-${v}`, (await count(p1, `#report-form input#${q}-${v}[type=radio][name=${q}][value=${v}]`)) === 1);
  check('named_child: a checkbox, value yes', (await count(p1, '#report-form input#named_child[type=checkbox][name=named_child][value=yes]')) === 1);
  for (const c of ['contact_name', 'contact_email', 'contact_phone'])
    check(`${c}: an input`, (await count(p1, `#report-form input#${c}[name=${c}]`)) === 1);
  check('button#submit', (await count(p1, '#report-form button#submit')) === 1);
  englishSubmitText = await text(p1, '#submit');
  check('a fresh form shows no #error-summary', !(await visible(p1, '#error-summary')), await text(p1, '#error-summary').catch(() => ''));
  const errTitle = message('en', 'error.title');
  if (errTitle) check('a fresh form\'s <title> announces no error', !(await p1.title()).includes(errTitle), await p1.title());
  await labelled(p1, '#report-form', 'report form');
  const ids = await p1.$$eval('[id]', (es) => es.map((e) => e.id));
  const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
  check('report form: ids are unique', dup.length === 0, dup.join(','));
  await shot(p1, 'report-en');
});

await phase('report form (en): errors, with every value kept', async () => {
  // website chosen, but no URL, no description and no type
  await p1.selectOption('#technology', 'website');
  await p1.fill('#incident_at', '2024-05-01T21:30');
  await p1.fill('#contact_name', 'Sam Example');
  await p1.fill('#contact_email', 'sam@example.org');
  await p1.fill('#contact_phone', '555-0100');
  expect4xx('/report', 422);
  const resp = p1.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/report', { timeout: TIMEOUT })
    .catch(() => null);
  if (!(await submitOrExplain(p1, '#report-form', '#submit'))) return;
  const r = await resp;
  check('a report with errors: 422', r && r.status() === 422, r && r.status());
  check('the form comes back', (await count(p1, 'form#report-form')) === 1);
  check('#error-summary shown', await visible(p1, '#error-summary'));
  const links = await p1.$$eval('#error-summary a[href]', (as) => as.map((a) => a.getAttribute('href')));
  for (const f of ['urls', 'description'])
    check(`#error-summary links to #${f}`, links.some((h) => h.endsWith(`#${f}`)), links.join(' '));
  for (const f of ['urls', 'description', 'incident_type']) {
    const sel = `#${f}-error`;
    const ok = await visible(p1, sel);
    check(`${sel} shown, with words`, ok && (await text(p1, sel)).length > 3);
    if (!ok) continue;
    // next to its field: less than 200 px apart on the page
    const field = f === 'incident_type' ? '#type-csam' : `#${f}`;
    const gap = await p1.evaluate(([e, fs]) => {
      const a = document.querySelector(e).getBoundingClientRect();
      const b = document.querySelector(fs).getBoundingClientRect();
      return Math.max(0, Math.max(a.top, b.top) - Math.min(a.bottom, b.bottom));
    }, [sel, field]);
    check(`${sel} next to its field (${Math.round(gap)} px)`, gap < 200);
    if (f !== 'incident_type') {
      const aria = await p1.getAttribute(`#${f}`, 'aria-describedby');
      check(`#${f} aria-describedby names ${f}-error (read with the field)`, !!aria && aria.split(/\s+/).includes(`${f}-error`), aria);
    }
  }
  check('kept: technology website', (await p1.inputValue('#technology')) === 'website');
  check('kept: incident_at', (await p1.inputValue('#incident_at')) === '2024-05-01T21:30', await p1.inputValue('#incident_at'));
  check('kept: contact_name', (await p1.inputValue('#contact_name')) === 'Sam Example');
  check('kept: contact_email', (await p1.inputValue('#contact_email')) === 'sam@example.org');
  check('kept: contact_phone', (await p1.inputValue('#contact_phone')) === '555-0100');
  check('error page still <html lang="en">', (await htmlLang(p1)) === 'en');
  await shot(p1, 'report-errors-en');
});

await phase('report form (en): fixed and sent', async () => {
  if ((await count(p1, 'form#report-form')) === 0) await p1.goto(`${BASE}/report?lang=en`);
  await p1.check('#type-luring');
  await p1.check('#luring_meet-yes');
  await p1.check('#luring_images-no');
  await p1.selectOption('#technology', 'website');
  await p1.fill('#urls', 'https://example.com/chat/room-7\nhttps://example.net/profile/42');
  await p1.fill('#description', 'An adult in a public chat room kept asking a 13-year-old to meet after school and to move to a private app.');
  await shot(p1, 'report-fixed-en');
  const s = await submit(p1, '#submit');
  check('the report is accepted: 303', s.method === 'POST' && s.post === 303, `${s.method} ${s.post}`);
  check('  to /report/received', path(p1) === '/report/received', p1.url());
  const ref = new URL(p1.url()).searchParams.get('ref');
  check('  with ?ref=XXXX-XXXX-XXXX', REF_RE.test(ref || ''), ref);
  check('  #reference shows it', ref && (await text(p1, '#reference')).includes(ref), await text(p1, '#reference'));
  const href = await p1.getAttribute('a#resources-link', 'href');
  const u = href && new URL(href, BASE);
  check('  a#resources-link to /resources?country=..', u && u.pathname === '/resources' && u.searchParams.has('country'), href);
  if (REF_RE.test(ref || '')) refs.luring = ref;
  await shot(p1, 'received-en');
});

await phase('resources (en): from the confirmation, then GB', async () => {
  if (path(p1) === '/report/received' && (await count(p1, 'a#resources-link')) > 0) await p1.click('a#resources-link');
  else await p1.goto(`${BASE}/resources?country=CA`);
  check('the resources link opens /resources', path(p1) === '/resources', p1.url());
  // the address changes before the new page's document is there
  await p1.waitForSelector('form#country-form', { timeout: 10000 }).catch(() => {});
  const cc = new URL(p1.url()).searchParams.get('country');
  const form = await p1.evaluate(() => {
    const f = document.querySelector('form#country-form');
    return f && { method: f.method, select: !!f.querySelector('select#country[name=country]'),
      button: !!f.querySelector('button, input[type=submit]') };
  });
  check('form#country-form: GET, select#country, a button', form && form.method === 'get' && form.select && form.button, JSON.stringify(form));
  check(`the country of the link (${cc}) is selected`, (await p1.inputValue('#country')) === cc, await p1.inputValue('#country'));
  await labelled(p1, '#country-form', 'country form');
  if (cc) await checkResources(p1, cc);
  await shot(p1, `resources-${cc}-en`);
  await p1.selectOption('#country', 'GB');
  const s = await submit(p1, '#country-form button, #country-form input[type=submit]');
  check('the country form: GB', s.final === 200 && new URL(p1.url()).searchParams.get('country') === 'GB', p1.url());
  check('  GB selected', (await p1.inputValue('#country')) === 'GB');
  await checkResources(p1, 'GB');
  await shot(p1, 'resources-GB-en');
});

await phase('resources: each country, and the defaults', async () => {
  for (const cc of ['CA', 'US', 'AU', 'NZ']) {
    const r = await p1.goto(`${BASE}/resources?country=${cc}`);
    check(`GET /resources?country=${cc}: 200`, r.status() === 200, r.status());
    check(`  ${cc} selected`, (await p1.inputValue('#country')) === cc);
    await checkResources(p1, cc);
    await shot(p1, `resources-${cc}`);
  }
  for (const [al, cc] of [['en-NZ,en;q=0.8', 'NZ'], ['en', '*'], ['de-DE,de;q=0.9', 'DE']]) {
    const ctx = await context(null, al);
    const pg = await ctx.newPage();
    const r = await pg.goto(`${BASE}/resources`);
    check(`GET /resources with Accept-Language ${al}: 200`, r.status() === 200, r.status());
    if (cc === '*' || cc === 'DE') {
      // no region, or a country without its own entry: the international help
      await checkResources(pg, '*');
      if (cc === '*') await shot(pg, 'resources-international');
    } else {
      check(`  the region's country (${cc}) by default`, (await pg.inputValue('#country')) === cc, await pg.inputValue('#country'));
      await checkResources(pg, cc);
    }
    await ctx.close();
  }
});

await phase('awareness video', async () => {
  const r = await p1.goto(`${BASE}/awareness`);
  check('GET /awareness: 200', r.status() === 200, r.status());
  const v = await p1.evaluate(() => {
    const vid = document.querySelector('video#awareness-video');
    if (!vid) return null;
    const srcs = [vid.getAttribute('src'), ...[...vid.querySelectorAll('source')].map((s) => s.getAttribute('src'))]
      .filter(Boolean).map((s) => new URL(s, location.href).pathname);
    const res = document.querySelector('#resources');
    return { srcs, after: !!res && !!(vid.compareDocumentPosition(res) & Node.DOCUMENT_POSITION_FOLLOWING) };
  });
  check('video#awareness-video', !!v);
  if (!v) return;
  check(`  its source is ${VIDEO}`, v.srcs.includes(VIDEO), v.srcs.join(' '));
  check('  #resources after it', v.after);
  // the browser itself can load and decode it
  const media = await p1.waitForFunction(() => {
    const vid = document.querySelector('video#awareness-video');
    if (vid.error) return { error: vid.error.code };
    if (vid.networkState === HTMLMediaElement.NETWORK_NO_SOURCE) return { error: 'no source could be loaded' };
    if (vid.preload === 'none' && vid.readyState === 0) vid.load();
    return vid.readyState >= 1 ? { duration: vid.duration, w: vid.videoWidth, h: vid.videoHeight } : false;
  }, null, { timeout: TIMEOUT }).then((h) => h.jsonValue(), (e) => ({ error: e.message.split('\n')[0] }));
  check('  Chromium loads it (metadata, a size, a duration)', !media.error && media.duration > 0 && media.w > 0, JSON.stringify(media));
  const head = await p1.request.get(`${BASE}${VIDEO}`);
  check('the awareness video is served (not 404)', head.status() !== 404 && video404 === 0, head.status());
  check('  served as video/webm', /^video\/webm/.test(head.headers()['content-type'] || ''), head.headers()['content-type']);
  await shot(p1, 'awareness-en');
});

// ---- 2. a second member, who switches to French ----
const fr = await context('en-US');
const p2 = await fr.newPage();
await phase('report in French (intimate images, a named child)', async () => {
  await p2.goto(`${BASE}/report`);
  check('/report in English first (Accept-Language en-US)', (await htmlLang(p2)) === 'en', await htmlLang(p2));
  await submit(p2, 'a[hreflang=fr]');
  check('a[hreflang=fr]: <html lang="fr">', (await htmlLang(p2)) === 'fr', await htmlLang(p2));
  check('  still the report form', path(p2) === '/report' && (await count(p2, 'form#report-form')) === 1, p2.url());
  check('  in French (the button is not the English one)', (await text(p2, '#submit')) !== englishSubmitText, await text(p2, '#submit'));
  check('  and a[hreflang=en] back to English', (await count(p2, 'a[hreflang=en]')) > 0);
  await labelled(p2, '#report-form', 'report form (fr)');
  await shot(p2, 'report-fr');
  await p2.check('#type-intimate_images');
  await p2.check('#intimate_self-no');
  await p2.check('#intimate_threatened-yes');
  await p2.selectOption('#technology', 'chat');
  await p2.fill('#detail', 'Application de messagerie, compte « exemple_42 »');
  await p2.fill('#description', "Quelqu'un menace de partager des photos intimes d'une élève de 15 ans si elle ne lui en envoie pas d'autres.");
  await p2.check('#named_child');
  await p2.fill('#contact_email', 'parent@example.org');
  await shot(p2, 'report-fr-filled');
  const s = await submit(p2, '#submit');
  check('accepted: 303 to /report/received', s.post === 303 && path(p2) === '/report/received', `${s.post} ${p2.url()}`);
  check('  the confirmation in French: <html lang="fr">', (await htmlLang(p2)) === 'fr', await htmlLang(p2));
  const ref = new URL(p2.url()).searchParams.get('ref');
  check('  #reference shows the reference', REF_RE.test(ref || '') && (await text(p2, '#reference')).includes(ref), ref);
  check('  a#resources-link', (await count(p2, 'a#resources-link')) === 1);
  if (REF_RE.test(ref || '')) refs.named = ref;
  await shot(p2, 'received-fr');
  await p2.click('a#resources-link');
  check('  resources in French too', path(p2) === '/resources' && (await htmlLang(p2)) === 'fr', `${p2.url()} lang=${await htmlLang(p2)}`);
  const cc = new URL(p2.url()).searchParams.get('country');
  if (cc) await checkResources(p2, cc, 'fr');
  await shot(p2, 'resources-fr');
});

// ---- 3. a third member, with the keyboard only ----
const kb = await context('en-CA');
const p3 = await kb.newPage();
await phase('keyboard only: Tab, Space, arrows, Enter', async () => {
  await p3.goto(`${BASE}/report?lang=en`);
  // the fields to fill, in the order Tab reaches them (document order)
  const order = await p3.evaluate(() => {
    const first = (n) => document.querySelector(`#report-form [name=${n}]`);
    return ['incident_type', 'technology', 'urls', 'description']
      .filter((n) => first(n))
      .sort((a, b) => (first(a).compareDocumentPosition(first(b)) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  });
  const seen = new Set();
  let focusRings = 0, focusPlain = [];
  const active = () => p3.evaluate(() => {
    const e = document.activeElement;
    const cs = getComputedStyle(e);
    const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
    return { id: e.id, name: e.getAttribute('name'), tag: e.tagName, type: e.type, value: e.value, ring };
  });
  async function tabTo(want, max = 120) {
    for (let i = 0; i < max; i++) {
      await p3.keyboard.press('Tab');
      const a = await active();
      if (a.id) seen.add(a.id);
      // (date and time inputs draw the ring on their inner parts)
      if (a.tag !== 'BODY' && a.tag !== 'A' && !/^(date|time|datetime-local)$/.test(a.type)) {
        if (a.ring) focusRings++; else focusPlain.push(a.id || a.name);
      }
      if (want(a)) return a;
    }
    return null;
  }
  let chosenType = '';
  for (const name of order) {
    const a = await tabTo((x) => x.name === name);
    if (!check(`Tab reaches ${name}`, !!a)) return;
    if (name === 'incident_type') {
      await p3.keyboard.press('Space');
      chosenType = (await active()).value;
      check(`  Space picks a type (${chosenType})`, await p3.isChecked(`#type-${chosenType}`));
    } else if (name === 'technology') {
      for (let i = 0; i < TECHS.length + 2 && (await p3.inputValue('#technology')) !== 'website'; i++)
        await p3.keyboard.press('ArrowDown');
      check('  arrow keys choose website', (await p3.inputValue('#technology')) === 'website');
    } else if (name === 'urls') {
      await p3.keyboard.type('https://example.org/keyboard-only');
    } else {
      await p3.keyboard.type('Typed with the keyboard only: a stranger sent sexual messages to a child in a game chat.');
    }
  }
  const extra = chosenType === 'luring' ? ['luring_meet', 'luring_images']
    : chosenType === 'intimate_images' ? ['intimate_self', 'intimate_threatened'] : [];
  for (const q of extra) {
    // a radio group: Tab enters it, Space picks the focused choice
    const a = await tabTo((x) => x.name === q);
    if (a) await p3.keyboard.press('Space');
  }
  const a = await tabTo((x) => x.id === 'submit');
  check('Tab reaches button#submit (no focus trap)', !!a);
  for (const id of ['contact_name', 'contact_email', 'contact_phone'])
    check(`  passing through #${id}`, seen.has(id));
  check(`a visible focus ring (outline or box-shadow) on all ${focusRings} focused fields`, focusRings > 0 && focusPlain.length === 0, [...new Set(focusPlain)].join(', '));
  await shot(p3, 'report-keyboard');
  if (!a) return;
  const s = await submit(p3, null, 'Enter');
  check('Enter on the button sends the report: 303', s.post === 303 && path(p3) === '/report/received', `${s.post} ${p3.url()}`);
  const ref = new URL(p3.url()).searchParams.get('ref');
  if (REF_RE.test(ref || '')) refs.keyboard = ref;
  check('  a reference', REF_RE.test(ref || ''), ref);
});

// ---- 4. an analyst ----
const an = await context('en-CA');
const p4 = await an.newPage();
await phase('console: login', async () => {
  await p4.goto(`${BASE}/console`);
  check('/console without a session: to /console/login', path(p4) === '/console/login', p4.url());
  if (path(p4) !== '/console/login') await p4.goto(`${BASE}/console/login`);
  const f = await p4.evaluate(() => {
    const fm = document.querySelector('form#login-form');
    return fm && { method: fm.method, user: !!fm.querySelector('#username'),
      pass: !!fm.querySelector('input#password[type=password]'), button: !!fm.querySelector('button#login'),
      csrf: [...fm.querySelectorAll('input[type=hidden]')].some((i) => /csrf/i.test(i.name) && i.value.length >= 16) };
  });
  check('form#login-form: POST, #username, #password, hidden csrf, button#login',
    f && f.method === 'post' && f.user && f.pass && f.button && f.csrf, JSON.stringify(f));
  await labelled(p4, '#login-form', 'login form');
  await shot(p4, 'login');
  expect4xx('/console/login', 401); expect4xx('/console/login', 403); expect4xx('/console/login', 422);
  await p4.fill('#username', USER);
  await p4.fill('#password', 'not the password at all');
  let bad = await submit(p4, '#login');
  if (!check('console forms are accepted from a browser (not 403)', bad.post !== 403,
    `${bad.post} "${await text(p4, '#login-error').catch(() => '')}", the browser sent Origin: ${bad.origin}`)) {
    // Go on as a browser that names its origin would, so that the rest of
    // the console is still tested.  (Chromium will not let a route change
    // Origin, so playwright sends these POSTs itself, with the context's
    // cookies, and hands the answer, redirect and cookies, to the page.)
    note(`work-around from here on: console POSTs carry Origin: ${ORIGIN} instead of ${bad.origin}`);
    await an.route((u) => u.pathname.startsWith('/console/'), async (route) => {
      const r = route.request();
      if (r.method() !== 'POST' || r.headers().origin === ORIGIN) return route.continue();
      const resp = await route.fetch({ headers: { ...r.headers(), origin: ORIGIN }, maxRedirects: 0 });
      return route.fulfill({ response: resp });
    });
    await p4.goto(`${BASE}/console/login`);
    await p4.fill('#username', USER);
    await p4.fill('#password', 'not the password at all');
    bad = await submit(p4, '#login');
  }
  check('a wrong password: the form again', path(p4) === '/console/login' && (await count(p4, 'form#login-form')) === 1, `${bad.post} ${p4.url()}`);
  // 403 is the answer to a refused form (CSRF, origin), never to a wrong password or a held-back sign-in
  check('  refused as a wrong password (not 403, 429 or 5xx)', bad.post > 0 && bad.post !== 403 && bad.post !== 429 && bad.post < 500, bad.post);
  check('  with #login-error', await visible(p4, '#login-error'));
  check('  the password is not sent back into the form', (await p4.inputValue('#password').catch(() => '')) === '');
  await shot(p4, 'login-error');
  await p4.fill('#username', USER);
  await p4.fill('#password', PASSWORD);
  const good = await submit(p4, '#login');
  check('the right password: 303 to /console', good.post === 303 && path(p4) === '/console', `${good.post} ${p4.url()}`);
  const cookies = await an.cookies();
  const loose = cookies.filter((c) => !c.httpOnly && !/^lang$/.test(c.name));
  check('no cookie readable by scripts (HttpOnly) but lang', loose.length === 0, loose.map((c) => c.name).join(', '));
});

let reportHref = null;
await phase('console: the queue', async () => {
  if (path(p4) !== '/console') await p4.goto(`${BASE}/console`);
  check('table#queue', (await count(p4, 'table#queue')) === 1);
  check('form#filters (GET)', await p4.evaluate(() => {
    const f = document.querySelector('form#filters');
    return !!f && f.method === 'get';
  }));
  const rows = await p4.$$eval('table#queue tr.report', (trs) => trs.map((tr) => {
    const a = tr.querySelector('a.report-link');
    return { text: tr.textContent, href: a && a.getAttribute('href') };
  }));
  note(`queue: ${rows.length} rows`);
  const filed = Object.keys(refs).length;
  check(`one tr.report per report (${filed})`, rows.length === filed, rows.length);
  check('  each with a.report-link to /console/reports/<id>', rows.length > 0 && rows.every((r) => r.href && /^\/console\/reports\/[^/?#]+$/.test(new URL(r.href, BASE).pathname)));
  const at = (ref) => rows.findIndex((r) => ref && r.text.includes(ref));
  for (const [k, ref] of Object.entries(refs)) check(`  the ${k} report (${ref}) is listed`, at(ref) >= 0);
  check('  the named-child report first', refs.named && at(refs.named) === 0, `at ${at(refs.named)}`);
  const tag = message('en', 'console.named_child');
  check(`console.named_child in ${I18N}/en.txt`, !!tag);
  if (tag && refs.named && rows.length > 1) {
    const tagged = rows.filter((r) => r.text.includes(tag)).length;
    check('the named-child tag only on the named-child report',
      rows.every((r) => r.text.includes(refs.named) === r.text.includes(tag)), `"${tag}" on ${tagged} of ${rows.length} rows`);
  }
  if (refs.luring && at(refs.luring) >= 0) reportHref = rows[at(refs.luring)].href;
  await shot(p4, 'queue');
});

await phase('console: a report, split, an outcome', async () => {
  if (!reportHref) { check('a report to open', false, 'the luring report is not in the queue'); return; }
  await p4.click(`table#queue tr.report a.report-link[href="${reportHref}"]`);
  await p4.waitForLoadState();
  check('the report link opens its page', path(p4) === new URL(reportHref, BASE).pathname, p4.url());
  check('  #reference', (await text(p4, '#reference')).includes(refs.luring), await text(p4, '#reference'));
  // reading a report changes nothing; taking it into review is a POST
  check('  a new report: no incident form until it is taken into review', (await count(p4, 'form.incident')) === 0);
  check('  form#open: POST with a csrf field and a button',
    (await count(p4, 'form#open[method=post] input[type=hidden][name=csrf]')) === 1 && (await count(p4, 'form#open button')) === 1);
  const op = await submit(p4, 'form#open button');
  check('  taking it into review: 303 back to the report page', op.post === 303 && op.method === 'POST' && path(p4) === new URL(reportHref, BASE).pathname, `${op.post} ${op.method} ${p4.url()}`);
  check('  table#incidents', (await count(p4, 'table#incidents')) === 1);
  const forms = await p4.$$eval('form.incident', (fs) => fs.map((f) => ({
    type: !!f.querySelector('select[name=incident_type]'),
    outcomes: [...f.querySelectorAll('select[name=outcome] option')].map((o) => o.value),
    notes: !!f.querySelector('textarea[name=notes]'),
    button: !!f.querySelector('button[type=submit]'),
    csrf: [...f.querySelectorAll('input[type=hidden]')].some((i) => /csrf/i.test(i.name)),
  })));
  check('  one form.incident per incident', forms.length >= 1, forms.length);
  check('  each: incident_type, outcome, notes, a submit button', forms.length > 0 && forms.every((f) => f.type && f.notes && f.button), JSON.stringify(forms));
  check('  outcomes: police, child_welfare, partner_hotline, no_action', forms.length > 0 && OUTCOMES.every((o) => forms[0].outcomes.includes(o)), forms[0] && forms[0].outcomes.join(','));
  check('  each form.incident with a hidden csrf field', forms.length > 0 && forms.every((f) => f.csrf));
  await labelled(p4, 'body', 'console report page');
  await shot(p4, 'console-report');

  // split: one more incident
  check('form#split with select[name=incident_type] and a button',
    (await count(p4, 'form#split select[name=incident_type]')) === 1 && (await count(p4, 'form#split button')) >= 1);
  await p4.selectOption('form#split select[name=incident_type]', 'csam');
  const sp = await submit(p4, 'form#split button');
  const after = await count(p4, 'form.incident');
  check('split: one more incident', sp.final === 200 && after === forms.length + 1, `${forms.length} -> ${after} (${sp.post})`);
  await shot(p4, 'console-split');

  // the outcome of the first incident
  const note1 = 'Referred to the local police, file 2024-0042 (browser test).';
  const f0 = p4.locator('form.incident').first();
  await f0.locator('select[name=outcome]').selectOption('police');
  await f0.locator('textarea[name=notes]').fill(note1);
  const nav = p4.waitForNavigation().catch((e) => e);
  await f0.locator('button[type=submit]').click();
  const r = await nav;
  if (r instanceof Error) throw r;
  check('saving an incident', r && r.status() === 200, r && r.status());
  const shown = await p4.evaluate((n) => {
    const fs = [...document.querySelectorAll('form.incident')];
    return {
      outcome: fs.some((f) => f.querySelector('select[name=outcome]').value === 'police'),
      note: document.body.innerText.includes(n) || fs.some((f) => f.querySelector('textarea[name=notes]').value.includes(n)),
    };
  }, note1);
  check('  the page shows the outcome: police', shown.outcome);
  check('  and the note', shown.note);
  await shot(p4, 'console-outcome');
});

await phase('console: an analyst and the admin pages, logout', async () => {
  expect4xx('/console/admin/users', 403);
  const r = await p4.goto(`${BASE}/console/admin/users`);
  check('an analyst opening /console/admin/users: 403', r.status() === 403, r.status());
  await shot(p4, 'console-admin-403');
  await p4.goto(`${BASE}/console`);
  // (the contract names both the form and its button "logout"; ids must be
  // unique, so the button is found inside the form)
  check('form#logout: POST /console/logout, with a submit button', await p4.evaluate(() => {
    const f = document.querySelector('form#logout');
    return !!f && f.method === 'post' && new URL(f.action).pathname === '/console/logout' &&
      !!f.querySelector('button[type=submit], button:not([type])');
  }));
  await submit(p4, 'form#logout button');
  await p4.goto(`${BASE}/console`);
  check('after logout /console goes to /console/login', path(p4) === '/console/login', p4.url());
  await shot(p4, 'logged-out');
});

// ---- the whole run ----
await phase('small screens', async () => {
  // the public pages fit a phone without sideways scrolling
  const ctx = await browser.newContext({ locale: 'en-CA', viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  ctx.on('page', watch);
  const pg = await ctx.newPage();
  for (const u of ['/', '/report', '/resources?country=CA']) {
    await pg.goto(`${BASE}${u}`);
    const over = await pg.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(`${u} fits a 375 px screen`, over <= 0, `${over} px wider`);
  }
  await pg.goto(`${BASE}/report`);
  await shot(pg, 'report-mobile');
  await ctx.close();
});

check('no console errors', consoleErrors.length === 0, consoleErrors.slice(0, 5).join(' | '));
check('no request for a missing /favicon.ico', favicon404 === 0, `${favicon404} times`);
check('no request to another origin than the server', foreign.size === 0, [...foreign].slice(0, 5).join(' '));
check('no 5xx from the server', serverErrors.length === 0, serverErrors.slice(0, 5).join(' | '));
await browser.close();
console.log(`# filed: ${Object.entries(refs).map(([k, r]) => `${k}=${r}`).join(' ')}`);
if (todo) note(`${todo} checks failed on known page bugs (TODO, not counted): see KNOWN in tests/browser/flow.mjs`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
