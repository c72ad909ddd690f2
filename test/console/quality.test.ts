// The console's cross-cutting bar, checked on every page at once: no JavaScript error, readable
// at 1280 and 390 px, no serious accessibility violation, keyboard reachable with a visible
// focus, no key in any URL or log line, a scoped key learns nothing of another space, and a
// first load within 300 KB compressed. Each page's own behaviour is tested in its own file.
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, expectNoErrors, launchBrowser, openPage, seriousViolations, signIn, startConsoleServer, waitReady, WORDS, type ConsoleServer } from '../support/browser.js';

/** What the seed made: the memory ids the pages open. */
interface Seeded {
  alphaMemory: string;
  betaMemory: string;
}

/** Every page of the console, by the path that shows it once the seed is in (sign-in: signed out). */
const PAGES: { name: string; path(s: Seeded): string }[] = [
  { name: 'sign-in', path: () => '/console/' },
  { name: 'spaces', path: () => '/console/spaces' },
  { name: 'space', path: () => '/console/spaces/alpha' },
  { name: 'memories', path: () => '/console/spaces/alpha/memories' },
  { name: 'memory', path: (s) => `/console/spaces/alpha/memories/${s.alphaMemory}` },
  { name: 'search', path: () => '/console/spaces/alpha/search' },
  { name: 'search, two settings compared', path: () => '/console/spaces/alpha/search?q=deploy+runbook+wiki&compare=1&b.mode=keyword' },
  { name: 'audit', path: () => '/console/spaces/alpha/audit' },
  { name: 'live', path: () => '/console/spaces/alpha/live' },
  { name: 'shares', path: () => '/console/spaces/alpha/shares' },
  { name: 'keys', path: () => '/console/keys' },
  { name: 'operators', path: () => '/console/operators' },
];

/** The per-space pages, as `/console/spaces/<space>` plus this (the memory page's id filled in by the caller). */
const SPACE_PAGES = ['', '/memories', '/memories/:id', '/search', '/audit', '/live', '/shares'];

/** Words only beta holds: none may reach a page opened with a key that cannot see beta. */
const BETA_WORDS = ['marmalade', 'zanzibar', 'quokka-ledger', 'beta-secret-tag'];

let server: ConsoleServer;
let browser: Browser;
let seeded: Seeded;
/** Every line the server logged, as pino wrote it. */
const logLines: string[] = [];

/** Calls the API as the root key; the answer's JSON. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.rootKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** Two spaces through the API (so the audit trail has entries by a key): memories, a relation, an edit, a share. */
async function seed(): Promise<Seeded> {
  for (const name of ['alpha', 'beta']) await call('POST', '/v1/spaces', { name, ...WORDS, isolation: 'shared', description: `The ${name} team's runbooks, decisions and customer notes, kept for its agents` });
  const alpha = await call<{ memories: { id: string }[] }>('POST', '/v1/spaces/alpha/memories/batch', {
    memories: [
      { content: 'The deploy runbook lives in the ops wiki', tags: ['ops', 'deploy'], metadata: { source: 'wiki', owner: 'sam' } },
      { content: 'Staging database is restored every Monday', tags: ['ops'], metadata: { env: 'staging' } },
      { content: 'Customers on the annual plan get invoices in January', tags: ['billing'], metadata: { plan: 'annual' }, importance: 0.8 },
      { content: 'The search latency budget is 200 ms at p95', tags: ['perf'], kind: 'decision' },
      { content: 'Sam prefers short status updates on Fridays', tags: ['team'], userId: 'sam' },
      // Long unbroken text: what makes a narrow screen scroll sideways when a layout does not wrap it.
      { content: 'Rollback steps: https://wiki.example.com/operations/runbooks/deploy/production/rollback-procedure-2026-revision-3', tags: ['a-rather-long-tag-name-for-wrapping'], metadata: { checksum: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' } },
    ],
  });
  const [first, second] = alpha.memories.map((m) => m.id);
  await call('POST', '/v1/spaces/alpha/relations', { from: first, to: second, type: 'depends_on' });
  await call('PATCH', `/v1/spaces/alpha/memories/${first}`, { content: 'The deploy runbook lives in the ops wiki, section 3', tags: ['ops', 'deploy', 'runbook'] });
  await call('POST', '/v1/spaces/alpha/shares', { to: 'beta' });
  const beta = await call<{ memories: { id: string }[] }>('POST', '/v1/spaces/beta/memories/batch', {
    memories: [
      { content: 'Grandma marmalade recipe from zanzibar', tags: ['beta-secret-tag'], metadata: { book: 'quokka-ledger' } },
      { content: 'The zanzibar trip budget', tags: ['beta-secret-tag'] },
    ],
  });
  return { alphaMemory: first!, betaMemory: beta.memories[0]!.id };
}

beforeAll(async () => {
  // Every line the server logs, at level trace, to look for keys in.
  server = await startConsoleServer({ logLine: (line) => logLines.push(line) });
  seeded = await seed();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens `path` and waits until its page has loaded, or the sign-in form for a signed-out tab. */
async function show(page: Page, path: string): Promise<void> {
  await page.goto(`${server.url}${path}`);
  if (path === '/console/') await page.waitForSelector('#key');
  else await waitReady(page);
}

describe.each(['desktop', 'phone'] as const)('every console page at %s width', (width) => {
  let tab: Awaited<ReturnType<typeof openPage>>;
  beforeAll(async () => {
    tab = await openPage(browser, width);
  });
  afterAll(async () => {
    await tab?.context.close();
  });

  it.each(PAGES.map((p) => [p.name, p] as const))('%s: no error, no page-wide sideways scroll, no serious axe violation', async (name, p) => {
    const { page, errors } = tab;
    errors.length = 0;
    if (name === 'sign-in') await page.evaluate('sessionStorage.clear()').catch(() => undefined);
    else if (!(await page.evaluate('sessionStorage.getItem("memspace.key") !== null').catch(() => false))) await signIn(page, server, server.rootKey);
    await show(page, p.path(seeded));
    // Let late work (a second call, a stream's first event) land before judging.
    await page.waitForTimeout(300);
    expectNoErrors(errors);
    if (width === 'phone') {
      const overflow = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
      expect(overflow[0], `${name}: page is ${overflow[0]} px wide in a ${overflow[1]} px window`).toBeLessThanOrEqual(overflow[1]);
    }
    expect(await seriousViolations(page)).toEqual([]);
  });
});

/** The focused element: its tag, text, whether it sits in the header's nav or in main, and its outline. */
async function focused(page: Page): Promise<{ tag: string; text: string; id: string; inNav: boolean; inMain: boolean; outline: string }> {
  return (await page.evaluate(`(() => {
    const e = document.activeElement;
    const style = e ? getComputedStyle(e) : null;
    return { tag: e ? e.tagName.toLowerCase() : '', text: e ? (e.textContent || '').trim() : '', id: e ? e.id : '',
      inNav: !!(e && e.closest('header nav')), inMain: !!(e && e.closest('main')),
      outline: style ? style.outlineStyle + ' ' + style.outlineWidth : 'none' };
  })()`)) as { tag: string; text: string; id: string; inNav: boolean; inMain: boolean; outline: string };
}

describe('keyboard', () => {
  it('from the sign-in page, Tab reaches the key field and, once a key is typed, the submit button', async () => {
    const { context, page, errors } = await openPage(browser);
    await show(page, '/console/');
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page)).id === 'key';
    }
    expect(reached).toBe(true);
    await page.keyboard.type(server.rootKey);
    await page.keyboard.press('Tab');
    const button = await focused(page);
    expect(button.tag).toBe('button');
    expect(button.outline.startsWith('none')).toBe(false);
    await page.keyboard.press('Enter');
    await page.waitForSelector('header.top');
    await waitReady(page);
    expectNoErrors(errors);
    await context.close();
  });

  it('on the spaces page the nav links are reachable by Tab with a visible outline, and the skip link leads into main', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey);
    // The page puts focus on its heading; going back from there reaches the header and the skip link.
    const seen: Awaited<ReturnType<typeof focused>>[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Shift+Tab');
      const f = await focused(page);
      seen.push(f);
      if (f.text === 'Skip to content') break;
    }
    expect(seen.at(-1)?.text).toBe('Skip to content');
    // Forward from the skip link: the brand, then each nav link, each with a visible outline.
    const forward: Awaited<ReturnType<typeof focused>>[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      forward.push(await focused(page));
    }
    const nav = forward.filter((f) => f.inNav);
    expect(nav.map((f) => f.text)).toEqual(expect.arrayContaining(['Spaces', 'Keys', 'Operators']));
    for (const f of nav) expect(f.outline.startsWith('none'), `${f.text}: ${f.outline}`).toBe(false);
    // The skip link: Enter on it, and the next Tab lands inside main, past the header.
    for (let i = 0; i < 12 && (await focused(page)).text !== 'Skip to content'; i++) await page.keyboard.press('Shift+Tab');
    expect((await focused(page)).outline.startsWith('none')).toBe(false);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect((await focused(page)).inMain).toBe(true);
    expectNoErrors(errors);
    await context.close();
  });
});

/** A memory added through the memories page's form, as a person would; the page then shows it. */
async function addMemoryThroughPage(page: Page, content: string): Promise<void> {
  await show(page, '/console/spaces/alpha/memories');
  await page.getByText('New memory', { exact: true }).click();
  await page.locator('#memories-new-content').fill(content);
  await page.locator('#memories-new-tags').fill('leak-check');
  await page.getByRole('button', { name: 'Add memory' }).click();
  await page.getByText(content).first().waitFor();
}

/** A key made through the keys page: the secret it shows once. */
async function createKeyThroughPage(page: Page): Promise<string> {
  await show(page, '/console/keys');
  await page.locator('#keys-new-name').fill('made-in-console');
  await page.locator('#grant-name-0').fill('alpha');
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.locator('#keys-secret-value');
  await shown.waitFor();
  const secret = /msk_[A-Za-z0-9_-]{20,}/.exec((await shown.textContent()) ?? '')?.[0];
  expect(secret).toBeDefined();
  return secret!;
}

describe('no key in any URL or log', () => {
  it('a whole session (sign in, every page, a memory and a key created) puts no key in a request URL or a server log line', async () => {
    const { context, page, errors } = await openPage(browser);
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    logLines.length = 0;
    await show(page, '/console/');
    await page.fill('#key', server.rootKey);
    await page.click('button[type="submit"]');
    await waitReady(page);
    for (const p of PAGES.slice(1)) await show(page, p.path(seeded));
    await addMemoryThroughPage(page, 'Made in the console during the leak check');
    const secret = await createKeyThroughPage(page);
    // The new key signs in too, and browses.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.fill('#key', secret);
    await page.click('button[type="submit"]');
    await waitReady(page);
    await show(page, '/console/spaces/alpha/memories');
    await context.close();
    expectNoErrors(errors);
    // Not vacuous: the session's calls were seen and logged.
    expect(urls.filter((u) => u.includes('/v1/')).length).toBeGreaterThan(10);
    expect(logLines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(10);
    for (const key of [server.rootKey, secret, secret.slice(4), server.rootKey.slice(4)]) {
      expect(urls.filter((u) => u.includes(key) || u.includes(encodeURIComponent(key)))).toEqual([]);
      expect(logLines.filter((l) => l.includes(key))).toEqual([]);
    }
  });
});

/** Whether a /v1 URL names `space` (in its path or its query). */
function names(url: string, space: string): boolean {
  const u = new URL(url);
  return u.pathname.startsWith('/v1/') && (u.pathname.split('/').includes(space) || u.searchParams.get('space') === space);
}

/** Opens a per-space page and waits for its note (or its loaded content); the note's text, or ''. */
async function refusalNote(page: Page, path: string): Promise<string> {
  await page.goto(`${server.url}${path}`);
  await page.waitForSelector('[role="alert"], main[data-ready="true"]', { timeout: 15_000 });
  // A page may show its frame first and the refusal a moment later.
  await page.locator('[role="alert"]').first().waitFor({ timeout: 5_000 }).catch(() => undefined);
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  const alert = page.locator('[role="alert"]');
  return (await alert.count()) > 0 ? ((await alert.first().textContent()) ?? '').trim() : '';
}

describe('isolation', () => {
  it("a key scoped to alpha opens each of beta's pages by URL and gets the note a missing space gets, nothing of beta, and only 404s for beta", async () => {
    const key = await createKey(server.ms, 'alpha-admin', [{ space: 'alpha', role: 'admin' }]);
    const { context, page, errors } = await openPage(browser);
    const responses: Response[] = [];
    page.on('response', (r) => responses.push(r));
    await signIn(page, server, key);
    // The spaces page lists alpha alone.
    expect(await page.getByRole('link', { name: 'alpha', exact: true }).count()).toBeGreaterThan(0);
    expect((await page.locator('main').innerText()).toLowerCase()).not.toContain('beta');
    for (const rest of SPACE_PAGES) {
      const missing = await refusalNote(page, `/console/spaces/no-such-space${rest.replace(':id', seeded.betaMemory)}`);
      const from = responses.length;
      const note = await refusalNote(page, `/console/spaces/beta${rest.replace(':id', seeded.betaMemory)}`);
      expect(missing, `no-such-space${rest}`).toContain('No such space, or this key cannot see it');
      expect(note, `beta${rest}`).toBe(missing);
      const text = (await page.locator('body').innerText()).toLowerCase();
      for (const word of BETA_WORDS) expect(text, `beta${rest} shows "${word}"`).not.toContain(word);
      const calls = responses.slice(from).filter((r) => names(r.url(), 'beta'));
      expect(calls.length, `beta${rest} asked the API nothing about beta`).toBeGreaterThan(0);
      for (const r of calls) {
        expect(r.status(), r.url()).toBe(404);
        const body = (await r.json().catch(() => ({}))) as { error?: { code?: string } };
        expect(body.error?.code, r.url()).toBe('SPACE_NOT_FOUND');
      }
    }
    expectNoErrors(errors, [/404/]);
    await context.close();
  });
});

describe('first load', () => {
  it('everything the browser downloads to show the first page weighs at most 300 KB compressed', async () => {
    const { context, page } = await openPage(browser);
    const sizes: { url: string; bytes: number; encoding: string }[] = [];
    page.on('requestfinished', (request) => {
      void request.sizes().then(async (s) => {
        const response = await request.response();
        sizes.push({ url: request.url(), bytes: s.responseBodySize, encoding: (await response?.headerValue('content-encoding')) ?? 'identity' });
      });
    });
    await show(page, '/console/');
    await page.fill('#key', server.rootKey);
    await page.click('button[type="submit"]');
    await waitReady(page);
    await page.waitForLoadState('networkidle');
    await context.close();
    const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
    expect(sizes.some((s) => s.url.endsWith('.js'))).toBe(true);
    expect(sizes.filter((s) => /\.(js|css)$/.test(s.url)).every((s) => s.encoding !== 'identity'), JSON.stringify(sizes)).toBe(true);
    expect(total, JSON.stringify(sizes)).toBeLessThanOrEqual(300 * 1024);
  });
});
