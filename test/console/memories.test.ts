import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createSpace, expectNoErrors, launchBrowser, openPage, seriousViolations, signIn, startConsoleServer, visit, waitReady, type ConsoleServer } from '../support/browser.js';

let server: ConsoleServer;
let browser: Browser;
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startConsoleServer();
  await createSpace(server.ms, 'alpha');
  await createSpace(server.ms, 'other');
  await createSpace(server.ms, 'many');
  await server.ms.memories.addMany('many', Array.from({ length: 55 }, (_, i) => ({ content: `Numbered memory ${i}` })));
  const add = async (name: string, content: string, tags: string[], metadata: Record<string, unknown> = {}): Promise<void> => {
    ids[name] = (await server.ms.memories.add('alpha', { content, tags, metadata })).id;
  };
  await add('tea', 'Alice drinks green tea, never coffee', ['prefs'], { topic: 'drinks' });
  await add('oncall', 'Bob is on call for deploys this week', ['infra'], { topic: 'deploys', priority: 3 });
  await add('deploy', 'Deploys freeze on Fridays after noon', ['infra', 'policy'], { topic: 'deploys', priority: 1 });
  await add('revenue', 'Quarterly revenue grew by 8 percent', []);
  await add('doomed', 'A memory that is about to be deleted', ['temp']);
  await server.ms.memories.relate('alpha', { from: ids['oncall']!, to: ids['deploy']!, type: 'follows' });
  ids['secret'] = (await server.ms.memories.add('other', { content: 'The other space keeps this to itself' })).id;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const LIST = '/console/spaces/alpha/memories';

const rows = (page: Page): Promise<number> => page.locator('main tbody tr').count();

async function applyFilter(page: Page, text: string): Promise<void> {
  await page.fill('#memories-filter-text', text);
  await page.getByRole('button', { name: 'Apply filter' }).click();
}

describe('console memories', () => {
  it('lists the memories, narrows them with a filter kept in the URL, and shows a bad filter as the API refuses it', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, LIST);
    expect(await rows(page)).toBe(5);
    expect(await page.locator('main tbody').textContent()).toContain('Bob is on call');

    await applyFilter(page, '{"tags": {"contains": "infra"}}');
    await page.waitForURL(/filter=/);
    await expect.poll(() => rows(page)).toBe(2);
    expect(page.url()).not.toMatch(/key=|msk_/);
    // The URL alone brings back the same view.
    await visit(page, server, new URL(page.url()).pathname + new URL(page.url()).search);
    await expect.poll(() => rows(page)).toBe(2);
    expect(await page.inputValue('#memories-filter-text')).toContain('infra');

    await applyFilter(page, '{"nope": {"around": 2}}');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('VALIDATION_FAILED');
    expect(await alert.textContent()).toContain('nope');
    await applyFilter(page, '{not json');
    await expect.poll(async () => page.getByRole('alert').textContent()).toContain('not valid JSON');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Memories of alpha');
    expectNoErrors(errors, [/400/]);
    await context.close();
  });

  it('pages through a larger space 50 rows at a time with cursors', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/many/memories');
    expect(await rows(page)).toBe(50);
    expect(await page.getByRole('link', { name: /First page/ }).count()).toBe(0);
    await page.getByRole('link', { name: /Next page/ }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(() => rows(page)).toBe(5);
    expect(await page.getByRole('link', { name: /Next page/ }).count()).toBe(0);
    await page.getByRole('link', { name: /First page/ }).click();
    await expect.poll(() => rows(page)).toBe(50);
    expectNoErrors(errors);
    await context.close();
  });

  it('adds a memory through the form, refusing bad metadata first', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/other/memories');
    await page.getByText('New memory').click();
    await page.getByLabel('Content').fill('Carol reviews every schema change');
    await page.getByLabel('Tags', { exact: true }).fill('reviews, schema');
    await page.getByLabel('Metadata (JSON object)').fill('[1, 2]');
    await page.getByRole('button', { name: 'Add memory' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('JSON object');
    await page.getByLabel('Metadata (JSON object)').fill('{"owner": "carol"}');
    await page.getByRole('button', { name: 'Add memory' }).click();
    await page.waitForURL(/\/memories\/[^/]+$/);
    await waitReady(page);
    expect(await page.locator('.memory-content').textContent()).toBe('Carol reviews every schema change');
    expect(await page.locator('.memory-tags').textContent()).toContain('schema');
    expect(await page.locator('.memory-metadata').textContent()).toContain('"owner": "carol"');
    expectNoErrors(errors);
    await context.close();
  });

  it('the builder writes a filter that works', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, LIST);
    await page.getByText('Build a filter').click();
    await page.getByLabel('Metadata field').fill('topic');
    await page.getByLabel('equals').fill('deploys');
    await page.getByRole('button', { name: 'Write and apply filter' }).click();
    await page.waitForURL(/filter=/);
    await expect.poll(() => rows(page)).toBe(2);
    expect(JSON.parse(await page.inputValue('#memories-filter-text'))).toEqual({ 'metadata.topic': { eq: 'deploys' } });

    await page.getByLabel('Metadata field').fill('priority');
    await page.getByLabel('equals').fill('3');
    await page.getByLabel('Has tag').fill('infra');
    await page.getByRole('button', { name: 'Write and apply filter' }).click();
    await expect.poll(() => rows(page)).toBe(1);
    expect(await page.locator('main tbody').textContent()).toContain('Bob is on call');

    await page.getByLabel('Created before (UTC)').fill('2000-01-01');
    await page.getByRole('button', { name: 'Write and apply filter' }).click();
    await expect.poll(() => page.locator('main tbody').textContent()).toContain('No memory matches this filter.');
    expect(JSON.parse(await page.inputValue('#memories-filter-text'))['createdAt']).toEqual({ lt: '2000-01-01T00:00:00.000Z' });
    expectNoErrors(errors);
    await context.close();
  });

  it('opens a memory, edits it, and the history diffs the two versions', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, LIST);
    await page.locator(`a[href$="/memories/${ids['tea']}"]`).click();
    await page.waitForURL(new RegExp(`${ids['tea']}$`));
    await waitReady(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Memory ${ids['tea']}`);
    expect(await page.locator('.memory-metadata').textContent()).toContain('"topic": "drinks"');
    expect(await page.locator('#memory-history-h + p').textContent()).toContain('1 version');

    await page.fill('#memory-edit-content', 'Alice drinks black tea, never coffee');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#memory-history-h + p').textContent()).toContain('2 versions');
    await waitReady(page);
    expect(await page.locator('.memory-content').textContent()).toBe('Alice drinks black tea, never coffee');
    const diff = page.getByTestId('content-diff');
    expect(await diff.locator('del').textContent()).toContain('green');
    expect(await diff.locator('ins').textContent()).toContain('black');
    expect(await diff.textContent()).toContain('[removed: green]');
    expect(await page.getByText('have the same content and metadata').count()).toBe(0);

    // An update of a field the history does not keep: the comparison says so rather than showing nothing.
    await server.ms.memories.update('alpha', ids['revenue']!, { importance: 0.9 });
    await visit(page, server, `${LIST}/${ids['revenue']}`);
    expect(await page.locator('#memory-history-h + p').textContent()).toContain('2 versions');
    expect(await page.locator('.memory-compare').textContent()).toContain('Versions 1 and 2 have the same content and metadata');
    expectNoErrors(errors);
    await context.close();
  });

  it('draws the relations and a neighbour in the graph opens its memory', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, `${LIST}/${ids['oncall']}`);
    const neighbour = page.locator('.memory-graph svg a');
    expect(await neighbour.count()).toBe(1);
    expect(await neighbour.getAttribute('aria-label')).toContain('Deploys freeze');
    expect(await page.locator('.memory-graph svg').textContent()).toContain('follows');
    expect(await page.getByRole('region', { name: 'Relations of this memory' }).textContent()).toContain('outgoing');
    await neighbour.click();
    await page.waitForURL(new RegExp(`${ids['deploy']}$`));
    await waitReady(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Memory ${ids['deploy']}`);
    expect(await page.getByRole('region', { name: 'Relations of this memory' }).textContent()).toContain('incoming');
    // Keyboard: the neighbour is focusable and Enter follows it.
    await page.locator('.memory-graph svg a').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`${ids['oncall']}$`));
    expectNoErrors(errors);
    await context.close();
  });

  it('deletes a memory after confirmation and goes back to the list', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, `${LIST}/${ids['doomed']}`);
    await page.getByRole('button', { name: 'Delete memory' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(page.url()).toContain(ids['doomed']!);
    await page.getByRole('button', { name: 'Delete memory' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/memories$/);
    await waitReady(page);
    await expect.poll(() => rows(page)).toBe(4);
    expect(await page.locator('main tbody').textContent()).not.toContain('about to be deleted');
    await visit(page, server, `${LIST}/${ids['doomed']}`);
    expect(await page.getByRole('alert').textContent()).toContain('NOT_FOUND');
    expectNoErrors(errors, [/404/]);
    await context.close();
  });

  it("a scoped key cannot open another space's memory by its URL", async () => {
    const key = await createKey(server.ms, 'alpha-reader', [{ space: 'alpha', role: 'read' }]);
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, key, `/console/spaces/other/memories/${ids['secret']}`);
    expect(await page.getByRole('alert').textContent()).toContain('No such space, or this key cannot see it');
    expect(await page.locator('main').textContent()).not.toContain('keeps this to itself');
    await visit(page, server, '/console/spaces/other/memories');
    expect(await page.getByRole('alert').textContent()).toContain('No such space, or this key cannot see it');
    // A read-only key is not offered edit or delete.
    await visit(page, server, `${LIST}/${ids['oncall']}`);
    expect(await page.getByRole('button', { name: 'Delete memory' }).count()).toBe(0);
    expect(await page.locator('#memory-edit-content').count()).toBe(0);
    expectNoErrors(errors, [/404/]);
    await context.close();
  });

  for (const width of ['desktop', 'phone'] as const) {
    it(`list and detail have no serious accessibility violation (${width})`, async () => {
      const { context, page, errors } = await openPage(browser, width);
      await signIn(page, server, server.rootKey, LIST);
      await page.getByText('Build a filter').click();
      expect(await seriousViolations(page)).toEqual([]);
      await visit(page, server, `${LIST}/${ids['oncall']}`);
      expect(await seriousViolations(page)).toEqual([]);
      // The edited memory: its history's version pickers and diff.
      await visit(page, server, `${LIST}/${ids['tea']}`);
      expect(await page.getByTestId('content-diff').count()).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);
      // No sideways scroll of the page itself on a phone: wide tables scroll inside their region.
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expectNoErrors(errors);
      await context.close();
    });
  }
});

