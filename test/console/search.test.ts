import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createSpace, expectNoErrors, launchBrowser, openPage, seriousViolations, signIn, startConsoleServer, visit, waitReady, type ConsoleServer } from '../support/browser.js';

let server: ConsoleServer;
let browser: Browser;

/**
 * With the words embedder (bag of words, no stemming, no IDF) "apple kiwi" is nearest the memory
 * that says "apple" three times; keyword search (BM25) weighs the rare "kiwi" over the common
 * "apple", so it ranks kiwi first; the default hybrid (0.5 / 0.5) ranks kiwi first too.
 */
const MEMORIES = [
  { id: 'kiwi', content: 'kiwi grows in new zealand orchards', tags: ['fruit'] },
  { id: 'apple-pie', content: 'apple apple apple pie recipe', tags: ['food'] },
  { id: 'apple-tree', content: 'apple tree in the garden', tags: ['garden'] },
  { id: 'apple-juice', content: 'apple juice for breakfast', tags: ['food'] },
  { id: 'banana', content: 'banana bread with walnuts', tags: ['food'] },
  { id: 'meeting', content: 'weekly team meeting on monday', tags: ['work'] },
];
const QUERY = 'apple kiwi';

beforeAll(async () => {
  server = await startConsoleServer();
  await createSpace(server.ms, 'fruit');
  await createSpace(server.ms, 'other');
  const response = await fetch(`${server.url}/v1/spaces/fruit/memories/batch`, { method: 'POST', headers: rootHeaders(), body: JSON.stringify({ memories: MEMORIES }) });
  expect(response.status).toBe(201);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function rootHeaders(): Record<string, string> {
  return { authorization: `Bearer ${server.rootKey}`, 'content-type': 'application/json' };
}

/** The ids the API ranks for `body`, best first. */
async function apiOrder(body: Record<string, unknown>): Promise<string[]> {
  const response = await fetch(`${server.url}/v1/spaces/fruit/search`, { method: 'POST', headers: rootHeaders(), body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: { memory: { id: string } }[] }).results.map((r) => r.memory.id);
}

/** The ids a result column of the page shows, top to bottom. */
async function shownOrder(page: Page, side: 'a' | 'b' = 'a'): Promise<string[]> {
  return (await page.evaluate(`[...document.querySelectorAll('[data-side="${side}"] .search-hit')].map((e) => e.dataset.id)`)) as string[];
}

/** The text of one score half of one hit. */
async function half(page: Page, id: string, name: 'vector' | 'keyword' | 'fused', side: 'a' | 'b' = 'a'): Promise<string> {
  return (await page.locator(`[data-side="${side}"] .search-hit[data-id="${id}"] [data-half="${name}"]`).innerText()).trim();
}

function searchPath(query: Record<string, string>): string {
  return `/console/spaces/fruit/search?${new URLSearchParams(query).toString()}`;
}

describe('console search playground', () => {
  it('shows hybrid results in the API order, with each half as a bar and its figure', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, searchPath({ q: QUERY }));
    const order = await shownOrder(page);
    expect(order).toEqual(await apiOrder({ query: QUERY }));
    expect(order[0]).toBe('kiwi');
    expect(order).toHaveLength(6);
    expect(await half(page, 'kiwi', 'vector')).toContain('0.289');
    expect(await half(page, 'kiwi', 'keyword')).toContain('0.546');
    expect(await half(page, 'kiwi', 'fused')).toContain('0.417');
    // Why it ranks first: the weighted sum of its halves, written out.
    expect(await page.locator('.search-hit[data-id="kiwi"] .search-sum').innerText()).toContain('0.5 × 0.289 + 0.5 × 0.546 = 0.417');
    expect(await page.locator('.search-hit[data-id="kiwi"] .bar-fill.vector').count()).toBe(1);
    expect(await page.locator('.search-hit[data-id="kiwi"] .bar-fill.keyword').count()).toBe(1);
    expect(await page.locator('.search-hit[data-id="kiwi"] .bar-fill.fused').count()).toBe(1);
    // Found by meaning alone: the keyword half is absent, and the page says so in words.
    expect(await half(page, 'banana', 'keyword')).toContain('no keyword match');
    expect(await page.getByRole('list', { name: 'Legend' }).innerText()).toContain('cosine');
    expect(await page.getByRole('status').filter({ hasText: 'results' }).innerText()).toContain('6 results');
    // The content links to the memory's page.
    expect(await page.getByRole('link', { name: 'kiwi grows in new zealand orchards' }).getAttribute('href')).toBe('/console/spaces/fruit/memories/kiwi');
    expectNoErrors(errors);
    await context.close();
  });

  it('keyword and vector modes rank differently, and each lacks the other half', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, searchPath({ q: QUERY, mode: 'vector' }));
    const vector = await shownOrder(page);
    expect(vector).toEqual(await apiOrder({ query: QUERY, mode: 'vector' }));
    expect(vector[0]).toBe('apple-pie');
    expect(await half(page, 'apple-pie', 'keyword')).toContain('not computed in vector mode');
    expect(await half(page, 'apple-pie', 'vector')).toContain('0.640');
    expect(await page.locator('.search-how').innerText()).toContain('Vector mode');

    await visit(page, server, searchPath({ q: QUERY, mode: 'keyword' }));
    const keyword = await shownOrder(page);
    expect(keyword).toEqual(await apiOrder({ query: QUERY, mode: 'keyword' }));
    expect(keyword[0]).toBe('kiwi');
    expect(keyword).not.toEqual(vector);
    expect(await half(page, 'kiwi', 'vector')).toContain('not computed in keyword mode');
    expect(await half(page, 'kiwi', 'keyword')).toContain('0.546');
    expectNoErrors(errors);
    await context.close();
  });

  it('runs a search typed in the form, keeps its settings (and no key) in the URL, and shows the request as JSON', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/fruit/search');
    expect(await page.getByRole('status').filter({ hasText: 'Type a query' }).count()).toBe(1);
    await page.getByLabel('Query').fill(QUERY);
    await page.getByLabel('Vector weight, as a number').fill('1');
    await page.getByLabel('Limit').fill('3');
    // Enter in a field submits, as in any form: the playground works from the keyboard.
    await page.getByLabel('Query').press('Enter');
    await page.locator('.search-hit').first().waitFor();
    await waitReady(page);
    expect(await shownOrder(page)).toEqual(await apiOrder({ query: QUERY, vectorWeight: 1, limit: 3 }));
    expect(await shownOrder(page)).toEqual(['apple-pie', 'apple-juice', 'apple-tree']);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ q: QUERY, vectorWeight: '1', limit: '3' });
    expect(page.url()).not.toContain(server.rootKey);
    // The slider follows the number typed.
    expect(await page.getByLabel('Vector weight', { exact: true }).inputValue()).toBe('1');
    await page.locator('details.search-request summary').click();
    expect(JSON.parse(await page.locator('pre.search-json').innerText())).toEqual({ query: QUERY, vectorWeight: 1, limit: 3 });
    expect(await page.locator('pre.search-curl').innerText()).toContain('$MEMSPACE_KEY');
    expect(await page.locator('details.search-request').innerText()).not.toContain(server.rootKey);
    expectNoErrors(errors);
    await context.close();
  });

  it('compares two settings side by side, with the rank moves of the same memories', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, searchPath({ q: QUERY, mode: 'keyword', compare: '1', 'b.mode': 'vector' }));
    expect(await page.getByRole('heading', { name: 'Settings A' }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Settings B' }).count()).toBe(1);
    expect(await shownOrder(page, 'a')).toEqual(await apiOrder({ query: QUERY, mode: 'keyword' }));
    expect(await shownOrder(page, 'b')).toEqual(await apiOrder({ query: QUERY, mode: 'vector' }));
    const move = async (id: string): Promise<string> => (await page.locator(`[data-side="b"] .search-hit[data-id="${id}"] .search-move [aria-hidden="true"]`).innerText()).trim();
    // Keyword: kiwi, apple-pie, apple-juice, apple-tree. Vector: apple-pie, apple-juice, apple-tree, kiwi, banana, meeting.
    expect(await move('apple-pie')).toBe('▲1');
    expect(await move('kiwi')).toBe('▼3');
    expect(await move('banana')).toBe('new');
    expect(await page.locator('[data-side="b"] .search-hit[data-id="kiwi"] .search-move .sr-only').innerText()).toContain('down 3 from A');
    expect(await half(page, 'kiwi', 'keyword', 'b')).toContain('not computed in vector mode');
    expect(await half(page, 'kiwi', 'vector', 'a')).toContain('not computed in keyword mode');
    expectNoErrors(errors);
    await context.close();
  });

  it('the Compare toggle starts B as a copy of A: the same ranks show "—" until B changes', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, searchPath({ q: QUERY }));
    await page.getByLabel('Compare two settings').check();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings B' }).waitFor();
    await waitReady(page);
    expect(await shownOrder(page, 'b')).toEqual(await shownOrder(page, 'a'));
    expect(await page.locator('[data-side="b"] .search-move [aria-hidden="true"]').allInnerTexts()).toEqual(Array(6).fill('—'));
    await page.locator('#search-b-mode').selectOption('vector');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/b\.mode=vector/);
    await page.locator('[data-side="b"] .search-move', { hasText: '▲' }).first().waitFor();
    expect(await shownOrder(page, 'b')).toEqual(await apiOrder({ query: QUERY, mode: 'vector' }));
    expectNoErrors(errors);
    await context.close();
  });

  it('shows the API refusal of a bad filter, or of a keyword search without a query, with its code', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, searchPath({ q: QUERY, filter: '{"metadata.priority":{"around":2}}' }));
    const alert = page.getByRole('alert');
    expect(await alert.innerText()).toContain('VALIDATION_FAILED');
    expect(await alert.innerText()).toContain('unknown operator');
    expect(await page.locator('.search-hit').count()).toBe(0);
    // The form still works: an empty query in keyword mode is the API's to refuse.
    await page.getByLabel('Query').fill('');
    await page.getByLabel('Filter (JSON)').fill('');
    await page.locator('#search-a-mode').selectOption('keyword');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'give a query' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('VALIDATION_FAILED');
    expect(await page.locator('.search-issues').innerText()).toContain('keyword search needs a query');
    expect(await seriousViolations(page)).toEqual([]);
    // A filter that is not JSON at all cannot be sent: the page says why.
    await page.getByLabel('Filter (JSON)').fill('{nope');
    await page.getByLabel('Query').fill(QUERY);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'not JSON' }).waitFor();
    expect(await page.locator('h1').innerText()).toBe('Search · fruit');
    expectNoErrors(errors, [/400/]);
    await context.close();
  });

  it('a key scoped to one space cannot search another by direct URL: the same note as a missing space', async () => {
    const key = await createKey(server.ms, 'fruit-reader', [{ space: 'fruit', role: 'read' }]);
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, key, searchPath({ q: QUERY }));
    expect(await shownOrder(page)).toEqual(await apiOrder({ query: QUERY }));
    for (const space of ['other', 'missing']) {
      await visit(page, server, `/console/spaces/${space}/search?q=apple`);
      expect(await page.getByRole('alert').innerText()).toContain('No such space, or this key cannot see it');
      expect(await page.locator('.search-hit').count()).toBe(0);
      expect(await page.locator('#search-q').count()).toBe(0);
    }
    expectNoErrors(errors, [/404/]);
    await context.close();
  });

  for (const width of ['desktop', 'phone'] as const) {
    it(`has no serious accessibility violation at ${width} width, and no sideways page scroll`, async () => {
      const { context, page, errors } = await openPage(browser, width);
      await signIn(page, server, server.rootKey, searchPath({ q: QUERY, mode: 'keyword', compare: '1', 'b.mode': 'vector' }));
      await page.locator('details.search-request summary').click();
      expect(await seriousViolations(page)).toEqual([]);
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      if (width === 'phone') {
        // The two columns stack: B starts below A.
        const a = await page.locator('[data-side="a"]').boundingBox();
        const b = await page.locator('[data-side="b"]').boundingBox();
        expect(b!.y).toBeGreaterThan(a!.y + a!.height - 1);
      }
      expectNoErrors(errors);
      await context.close();
    });
  }
});
