// SPDX-License-Identifier: Apache-2.0
// Accessibility, measured: every public page and every console page of
// `vigil serve`, in English and in French, with a form's errors shown and
// not, in headless Debian Chromium (playwright-core), each checked for
//   - axe-core's WCAG 2.1 A and AA rules (tags wcag2a, wcag2aa, wcag21a,
//     wcag21aa; colour contrast among them): 0 violations;
//   - the page's language (<html lang>);
//   - keyboard use: Tab reaches every focusable element (a radio group
//     once), in order, without a trap, and each one shows a focus ring
//     (it matches :focus-visible and has a computed outline of 2 px or
//     more);
//   - reflow: no horizontal scrolling at 640 CSS px (1280 px at 200 %
//     zoom) nor at 320 (WCAG 1.4.10): scrollWidth <= clientWidth;
//   - on public pages, the quick exit: the second Tab stop (after "skip to
//     content"), near the top, pointing at the neutral site.
// Then the quick exit itself: the button and Escape pressed twice leave
// for the neutral site in place of the page in the history (Back does not
// return to it), one Escape does not, and without JavaScript the button is
// a plain link there.
//
// Prints one line per check ("ok - ..." / "not ok - ..."), "# ..." notes
// (one per page: its axe violations), "# pages checked: N", then
// "N passed, N failed"; exits 1 on any failure.
//
// Environment (all required but the last two):
//   VIGIL_URL                        the server, http://127.0.0.1:PORT
//   VIGIL_EXIT_URL                   its --quick-exit-url (on 127.0.0.1)
//   VIGIL_ADMIN_USER/_PASSWORD       an admin's account
//   VIGIL_REPORT_ID, VIGIL_MEDIA_ID, VIGIL_LIST_ID, VIGIL_PROVIDER_ID
//                                    a report, a media item awaiting
//                                    review, a hash list and a provider
//   VIGIL_BROWSER_DEPS               the folder whose node_modules holds
//                                    playwright-core and axe-core
//   VIGIL_CHROMIUM                   default /usr/bin/chromium
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEPS = resolve(process.env.VIGIL_BROWSER_DEPS || HERE);
const need = createRequire(join(DEPS, 'package.json'));
const { chromium } = need('playwright-core');
const AXE = readFileSync(need.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_VERSION = need('axe-core/package.json').version;
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const env = (k) => process.env[k] || '';
const BASE = env('VIGIL_URL').replace(/\/+$/, '');
const EXIT = env('VIGIL_EXIT_URL');
const ADMIN = env('VIGIL_ADMIN_USER');
const ADMIN_PW = env('VIGIL_ADMIN_PASSWORD');
const IDS = { report: env('VIGIL_REPORT_ID'), media: env('VIGIL_MEDIA_ID'),
  list: env('VIGIL_LIST_ID'), provider: env('VIGIL_PROVIDER_ID') };
const CHROMIUM = env('VIGIL_CHROMIUM') || '/usr/bin/chromium';
if (!BASE || !EXIT || !ADMIN || !ADMIN_PW || Object.values(IDS).some((v) => !v)) {
  console.error('a11y.mjs: set VIGIL_URL, VIGIL_EXIT_URL, VIGIL_ADMIN_USER/_PASSWORD'
    + ' and VIGIL_REPORT_ID, _MEDIA_ID, _LIST_ID, _PROVIDER_ID');
  process.exit(2);
}
const TIMEOUT = 30000;
const WIDE = { width: 1280, height: 900 };

// ---- counting checks, as tests/integration/lib.sh does ----
let passed = 0, failed = 0;
function check(desc, cond, detail) {
  if (cond) passed++; else failed++;
  console.log(`${cond ? 'ok' : 'not ok'} - ${desc}${!cond && detail !== undefined ? ` (${detail})` : ''}`);
  return !!cond;
}
const note = (s) => console.log(`# ${s}`);
async function phase(name, fn) {
  try { return await fn(); }
  catch (e) { check(`${name}: ran to the end`, false, String(e.message || e).split('\n')[0]); return undefined; }
}

// ---- what every page is watched for: script errors (a CSP refusal, a
// missing file); 4xx documents are expected where a page says so ----
const scriptErrors = [];
function watch(page) {
  page.setDefaultTimeout(TIMEOUT);
  page.setDefaultNavigationTimeout(TIMEOUT);
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4[0-9][0-9]/.test(m.text()))
      scriptErrors.push(`${m.text()} [${page.url()}]`);
  });
  page.on('pageerror', (e) => scriptErrors.push(`uncaught: ${e.message} [${page.url()}]`));
}

// ---- the measurements of one page ----
// axe-core's WCAG 2.1 A/AA rules: the violations, each with its first
// elements; and whether colour contrast was among the rules run.
async function axe(page) {
  await page.evaluate(AXE);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'] });
    const ran = (id) => [r.violations, r.passes, r.incomplete, r.inapplicable]
      .some((l) => l.some((x) => x.id === id));
    return {
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
        where: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${(n.failureSummary || '').split('\n').slice(1, 2).join('').trim()}`) })),
      contrast: ran('color-contrast'),
    };
  }, TAGS);
}

// Tab from the top of the page through every focusable element.  Returns
// the elements Tab did not reach, those focused without a visible ring,
// and the Tab stops in order (by id or tag).
async function tabWalk(page) {
  const keys = await page.evaluate(() => {
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
      + ' [tabindex], video[controls], audio[controls], iframe';
    const desc = (e) => e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${e.name ? `[name=${e.name}]` : ''}${e.getAttribute('href') ? `[href=${e.getAttribute('href')}]` : ''}`;
    const groups = new Set(), out = [];
    let n = 0;
    for (const e of document.querySelectorAll(sel)) {
      if (e.tabIndex < 0 || e.disabled || !e.getClientRects().length ||
          getComputedStyle(e).visibility === 'hidden') continue;
      let key = `e${n++}`;
      if (e.type === 'radio' && e.name) {
        key = `radio:${e.form ? e.form.id : ''}:${e.name}`;
        e.dataset.a11yKey = key;
        if (groups.has(key)) continue;
        groups.add(key);
      }
      e.dataset.a11yKey = key;
      out.push({ key, desc: desc(e) });
    }
    if (document.activeElement) document.activeElement.blur();
    window.scrollTo(0, 0);
    return out;
  });
  const reached = new Set(), plain = [], order = [];
  let prev = null;
  for (let i = 0; i < keys.length * 4 + 10; i++) {
    await page.keyboard.press('Tab');
    const a = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body || !e.dataset) return null;
      const cs = getComputedStyle(e);
      return { key: e.dataset.a11yKey || null, id: e.id, tag: e.tagName.toLowerCase(),
        media: /^(VIDEO|AUDIO)$/.test(e.tagName),
        ring: e.matches(':focus-visible') && cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2 };
    });
    if (!a) break;              // past the last element: the browser's own UI
    if (a.key === prev) continue; // inside one element (a video's controls)
    if (a.key && reached.has(a.key)) break; // round again
    prev = a.key;
    if (a.key) reached.add(a.key);
    order.push(a.id ? `#${a.id}` : a.tag);
    if (!a.ring && !a.media) plain.push(a.id ? `#${a.id}` : `${a.tag} ${a.key}`);
  }
  return { total: keys.length, missed: keys.filter((k) => !reached.has(k.key)).map((k) => k.desc), plain, order };
}

// Horizontal scrolling at a width, and the widest elements when there is.
async function overflow(page, width) {
  await page.setViewportSize({ width, height: width < 400 ? 640 : 900 });
  const r = await page.evaluate(() => {
    const d = document.documentElement, w = d.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > w + 1 && getComputedStyle(e).position !== 'absolute')
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${String(e.className).split(' ')[0]}` : ''}`);
    return { scroll: d.scrollWidth, client: w, wide: [...new Set(wide)].slice(0, 4) };
  });
  await page.setViewportSize(WIDE);
  return r;
}

const pageNames = new Set();
let views = 0;
// Every measurement of the page now shown, named "LANG name (state)".
async function audit(page, lang, name, state, opts = {}) {
  const what = `${lang} ${name}${state ? ` (${state})` : ''}`;
  pageNames.add(`${lang} ${name}`);
  views++;
  if (opts.status) check(`${what}: HTTP ${opts.status}`, opts.resp && opts.resp.status() === opts.status, opts.resp && opts.resp.status());
  check(`${what}: <html lang="${lang}">`, (await page.evaluate(() => document.documentElement.lang)) === lang);
  const walk = await tabWalk(page);
  check(`${what}: Tab reaches all ${walk.total} focusable elements`, walk.missed.length === 0, `missed: ${walk.missed.join(', ')}`);
  check(`${what}: a visible focus ring (:focus-visible, outline >= 2px) on each`, walk.plain.length === 0, `none on: ${walk.plain.join(', ')}`);
  if (opts.public) {
    const at = walk.order.indexOf('#quick-exit') + 1;
    check(`${what}: the quick exit is Tab stop ${at} (1 or 2)`, at >= 1 && at <= 2, walk.order.slice(0, 3).join(' '));
    const q = await page.evaluate(() => {
      const e = document.getElementById('quick-exit');
      return e && { href: e.href, top: e.getBoundingClientRect().top, shown: e.checkVisibility() };
    });
    check(`${what}: the quick exit, shown at the top, leaves for ${EXIT}`, q && q.shown && q.top < 80 && q.href === EXIT, JSON.stringify(q));
  }
  for (const w of [640, 320]) {
    const o = await overflow(page, w);
    check(`${what}: no horizontal scrolling at ${w} px (${w === 640 ? '200 % zoom' : 'reflow'})`, o.scroll <= o.client,
      `${o.scroll} > ${o.client}: ${o.wide.join(', ')}`);
  }
  const r = await axe(page);
  check(`${what}: axe ran the colour contrast rule`, r.contrast);
  note(`${what}: ${r.violations.length} violations`);
  for (const v of r.violations)
    note(`  ${v.id} (${v.impact}, ${v.nodes} elements): ${v.where.join(' | ')}`);
  check(`${what}: 0 axe violations (WCAG 2.1 A/AA)`, r.violations.length === 0, r.violations.map((v) => v.id).join(', '));
}

async function go(page, path) { return page.goto(`${BASE}${path}`); }
// Submit a form past the browser's own validation (novalidate), so the
// server's error page is what shows.
async function submit(page, form, button = 'button[type=submit]') {
  await page.evaluate((f) => { document.querySelector(f).noValidate = true; }, form);
  await Promise.all([page.waitForNavigation(), page.click(`${form} ${button}`)]);
}

// ---- the public pages ----
async function publicPages(page, lang) {
  const pub = { public: true };
  for (const [name, path] of [['home', '/'], ['report form', '/report'], ['resources', '/resources'],
    ['resources by country', '/resources?country=FR'], ['awareness', '/awareness']]) {
    await phase(`${lang} ${name}`, async () => {
      await go(page, path);
      await audit(page, lang, name, '', pub);
    });
  }
  await phase(`${lang} not found`, async () => {
    const resp = await go(page, '/no-such-page');
    await audit(page, lang, 'not found', '', { ...pub, status: 404, resp });
  });
  await phase(`${lang} report form, empty`, async () => {
    await go(page, '/report');
    await submit(page, '#report-form');
    check(`${lang} report form sent empty: #error-summary shown`, await page.locator('#error-summary').isVisible());
    await audit(page, lang, 'report form', 'errors: sent empty', pub);
  });
  await phase(`${lang} report form, wrong values`, async () => {
    await go(page, '/report');
    await page.check('#type-luring');
    await page.fill('#urls', 'not an address');
    await page.fill('#contact_email', 'not-an-email');
    await submit(page, '#report-form');
    check(`${lang} report form with wrong values: field errors shown`, (await page.locator('.field-error').count()) >= 2);
    await audit(page, lang, 'report form', 'errors: wrong values', pub);
  });
  await phase(`${lang} received`, async () => {
    await go(page, '/report');
    await page.check('#type-csam');
    await page.selectOption('#technology', 'website');
    await page.fill('#urls', 'https://example.org/a11y');
    await page.fill('#description', 'Filed by the accessibility test.');
    await submit(page, '#report-form');
    check(`${lang} a report filed: /report/received`, new URL(page.url()).pathname === '/report/received', page.url());
    await audit(page, lang, 'report received', '', pub);
  });
}

// ---- the console, signed in as an admin ----
async function consolePages(page, lang) {
  await phase(`${lang} sign-in`, async () => {
    await go(page, '/console/login');
    await audit(page, lang, 'sign-in', '');
    await page.fill('#username', ADMIN);
    await page.fill('#password', 'not the password at all');
    await submit(page, '#login-form');
    check(`${lang} sign-in with a wrong password: #login-error shown`, await page.locator('#login-error').isVisible());
    await audit(page, lang, 'sign-in', 'errors: wrong password');
  });
  await phase(`${lang} sign-in by keyboard`, async () => {
    // Tab to the fields and the button, type, Enter: no mouse at all
    await go(page, '/console/login');
    const tabTo = async (id) => {
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate(() => document.activeElement.id)) === id) return true;
      }
      return false;
    };
    check(`${lang} keyboard: Tab reaches #username`, await tabTo('username'));
    await page.keyboard.type(ADMIN);
    check(`${lang} keyboard: Tab reaches #password`, await tabTo('password'));
    await page.keyboard.type(ADMIN_PW);
    check(`${lang} keyboard: Tab reaches button#login`, await tabTo('login'));
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    check(`${lang} keyboard: Enter signs in (the queue)`, new URL(page.url()).pathname === '/console', page.url());
  });
  const pages = [['queue', '/console'], ['queue filtered', '/console?status=new'],
    ['report', `/console/reports/${IDS.report}`], ['media review queue', '/console/media'],
    ['media item', `/console/media/${IDS.media}`], ['lists', '/console/lists'],
    ['list', `/console/lists/${IDS.list}`], ['notices', '/console/notices'],
    ['feedback', '/console/feedback'], ['users', '/console/admin/users'],
    ['API keys', '/console/admin/keys'], ['providers', '/console/admin/providers'],
    ['provider', `/console/admin/providers/${IDS.provider}`], ['audit log', '/console/admin/audit']];
  for (const [name, path] of pages) {
    await phase(`${lang} ${name}`, async () => {
      const resp = await go(page, path);
      await audit(page, lang, name, '', { status: 200, resp });
    });
  }
  await phase(`${lang} console not found`, async () => {
    const resp = await go(page, '/console/reports/999999');
    await audit(page, lang, 'console not found', '', { status: 404, resp });
  });
  await phase(`${lang} review by keyboard`, async () => {
    // open the report (when new): Tab to its button, Enter; then the
    // first incident: Tab to its outcome, arrows, Tab to its button, Enter
    await go(page, `/console/reports/${IDS.report}`);
    if (await page.locator('form#open').count()) {
      let open = false;
      for (let i = 0; i < 40 && !open; i++) {
        await page.keyboard.press('Tab');
        open = await page.evaluate(() => !!document.activeElement.closest('form#open'));
      }
      check(`${lang} keyboard: Tab reaches the button that opens the report`, open);
      if (!open) return;
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      check(`${lang} keyboard: Enter opens it`, (await page.locator('form#open').count()) === 0);
    }
    let found = false;
    for (let i = 0; i < 80 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement.name === 'outcome');
    }
    check(`${lang} keyboard: Tab reaches an incident's outcome`, found);
    if (!found) return;
    for (let i = 0; i < 8 && (await page.evaluate(() => document.activeElement.value)) !== 'no_action'; i++)
      await page.keyboard.press('ArrowDown');
    check(`${lang} keyboard: the arrows choose no_action`, (await page.evaluate(() => document.activeElement.value)) === 'no_action');
    let button = false;
    for (let i = 0; i < 10 && !button; i++) {
      await page.keyboard.press('Tab');
      button = await page.evaluate(() => document.activeElement.type === 'submit' && !!document.activeElement.closest('form.incident'));
    }
    check(`${lang} keyboard: Tab reaches the incident's button`, button);
    if (!button) return;
    const [resp] = await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    check(`${lang} keyboard: Enter saves the outcome`, resp && resp.status() === 200 &&
      (await page.locator('form.incident select[name=outcome]').first().inputValue()) === 'no_action', resp && resp.status());
  });
  await phase(`${lang} users, errors`, async () => {
    await go(page, '/console/admin/users');
    await submit(page, '#add-user');
    check(`${lang} an empty new user: #admin-error shown`, await page.locator('#admin-error').isVisible());
    await audit(page, lang, 'users', 'errors: empty new user');
  });
  await phase(`${lang} API keys, errors and a new key`, async () => {
    await go(page, '/console/admin/keys');
    await submit(page, '#add-key');
    check(`${lang} an API key without a name: #admin-error shown`, await page.locator('#admin-error').isVisible());
    await audit(page, lang, 'API keys', 'errors: no name');
    await page.fill('#key-name', `a11y partner ${lang}`);
    await submit(page, '#add-key');
    check(`${lang} a new API key shown once`, await page.locator('#new-key').isVisible());
    await audit(page, lang, 'API keys', 'a new key shown');
  });
  await phase(`${lang} providers, errors`, async () => {
    await go(page, '/console/admin/providers');
    await submit(page, '#add-provider');
    check(`${lang} an empty new provider: #admin-error shown`, await page.locator('#admin-error').isVisible());
    await audit(page, lang, 'providers', 'errors: empty new provider');
  });
}

// ---- the quick exit ----
async function quickExit(browser, lang) {
  const locale = lang === 'fr' ? 'fr-CA' : 'en-CA';
  const ctx = await browser.newContext({ locale, viewport: WIDE });
  ctx.on('page', watch);
  const onVigil = (p) => p.url().startsWith(BASE);
  await phase(`${lang} quick exit: the button`, async () => {
    const p = await ctx.newPage();
    await go(p, '/report');
    const before = await p.evaluate(() => history.length);
    await Promise.all([p.waitForURL(EXIT), p.click('#quick-exit')]);
    check(`${lang} quick exit: the button leaves for the neutral page`, p.url() === EXIT, p.url());
    check(`${lang} quick exit: in place of the page in the history (length ${before})`,
      (await p.evaluate(() => history.length)) === before);
    await p.goBack().catch(() => null);
    check(`${lang} quick exit: Back does not return to Vigil's page`, !onVigil(p), p.url());
    await p.close();
  });
  await phase(`${lang} quick exit: Escape twice`, async () => {
    const p = await ctx.newPage();
    await go(p, '/');
    await Promise.all([p.waitForNavigation(), p.click('#report-link')]);
    check(`${lang} quick exit: the hint about Escape shown (JavaScript on)`, await p.locator('#quick-exit-hint').isVisible());
    const before = await p.evaluate(() => history.length);
    await p.focus('#description');
    await p.keyboard.press('Escape');
    await p.waitForTimeout(1300);
    await p.keyboard.press('Escape');
    await p.waitForTimeout(300);
    check(`${lang} quick exit: two Escapes over a second apart stay`, onVigil(p), p.url());
    await Promise.all([p.waitForURL(EXIT), (async () => {
      await p.keyboard.press('Escape');
      await p.keyboard.press('Escape');
    })()]);
    check(`${lang} quick exit: Escape twice leaves for the neutral page`, p.url() === EXIT, p.url());
    check(`${lang} quick exit: Escape twice replaces the page (history length ${before})`,
      (await p.evaluate(() => history.length)) === before);
    await p.goBack();
    // the page before the one left is still in the history: said in
    // docs/OPERATIONS.md, section 10
    check(`${lang} quick exit: Back skips the page left (to /, not /report)`,
      onVigil(p) && new URL(p.url()).pathname === '/', p.url());
    await p.close();
  });
  await ctx.close();
  const nojs = await browser.newContext({ locale, viewport: WIDE, javaScriptEnabled: false });
  await phase(`${lang} quick exit without JavaScript`, async () => {
    const p = await nojs.newPage();
    watch(p);
    await go(p, '/report');
    check(`${lang} no JavaScript: the Escape hint stays hidden`, !(await p.locator('#quick-exit-hint').isVisible()));
    await Promise.all([p.waitForURL(EXIT), p.click('#quick-exit')]);
    check(`${lang} no JavaScript: the button is a link to the neutral page`, p.url() === EXIT, p.url());
  });
  await nojs.close();
}

// ---- the measurements measure: faults planted in a page are found ----
async function controls(browser) {
  const ctx = await browser.newContext({ locale: 'en-CA', viewport: WIDE });
  const page = await ctx.newPage();
  await phase('controls', async () => {
    await go(page, '/');
    await page.evaluate(() => {
      const m = document.querySelector('main');
      // (styles through the CSSOM: the pages' CSP refuses style attributes)
      m.insertAdjacentHTML('beforeend', '<img src="/static/favicon.svg">'
        + '<p id="faint">faint text</p><div id="wide">wide</div><a id="no-ring" href="/">no ring</a>');
      document.getElementById('faint').style.color = '#bbb';
      document.getElementById('wide').style.width = '2000px';
      document.getElementById('no-ring').style.setProperty('outline', 'none', 'important');
    });
    const walk = await tabWalk(page);
    check('control: a link without a focus ring is found', walk.plain.includes('#no-ring'), walk.plain.join(', '));
    const o = await overflow(page, 320);
    check('control: a 2000 px wide block is found', o.scroll > o.client, `${o.scroll} ${o.client}`);
    const r = await axe(page);
    const ids = r.violations.map((v) => v.id);
    check('control: axe finds the image without alt and the faint text',
      ids.includes('image-alt') && ids.includes('color-contrast'), ids.join(', '));
  });
  await ctx.close();
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: TIMEOUT * 2,
  args: ['--no-proxy-server', '--disable-gpu'] });
note(`Chromium ${browser.version()}, axe-core ${AXE_VERSION} (${TAGS.join(', ')}), server ${BASE}`);
await controls(browser);
for (const lang of ['en', 'fr']) {
  const ctx = await browser.newContext({ locale: lang === 'fr' ? 'fr-CA' : 'en-CA', viewport: WIDE });
  ctx.on('page', watch);
  const page = await ctx.newPage();
  await publicPages(page, lang);
  await consolePages(page, lang);
  await ctx.close();
  await quickExit(browser, lang);
}
await browser.close();
check('no script errors on any page', scriptErrors.length === 0, scriptErrors.slice(0, 3).join(' | '));
note(`pages checked: ${pageNames.size} (${views} views: both languages, errors shown and not)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
