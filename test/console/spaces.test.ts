import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createSpace, expectNoErrors, launchBrowser, openPage, seriousViolations, signIn, startConsoleServer, visit, waitReady, type ConsoleServer } from '../support/browser.js';

let server: ConsoleServer;
let browser: Browser;
let alphaReader: string;

beforeAll(async () => {
  server = await startConsoleServer();
  await createSpace(server.ms, 'alpha', { description: 'the first space', quotas: { maxMemories: 10 } });
  await createSpace(server.ms, 'beta');
  await createSpace(server.ms, 'gamma');
  for (const content of ['one apple', 'two pears', 'three plums']) await server.ms.memories.add('beta', { content });
  await server.ms.memories.add('alpha', { content: 'an apple a day' });
  alphaReader = await createKey(server.ms, 'alpha-reader', [{ space: 'alpha', role: 'read' }]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The names in the table's first column, top to bottom. */
async function shownNames(page: Page): Promise<string[]> {
  return page.locator('table tbody tr td:first-child a').allTextContents();
}

describe('console: spaces', () => {
  it("lists the root key's spaces with their figures, sorts by a column, and filters", async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey);
    expect(await shownNames(page)).toEqual(['alpha', 'beta', 'default', 'gamma']);
    const beta = page.locator('tr', { has: page.getByRole('link', { name: 'beta', exact: true }) });
    expect(await beta.locator('td[data-label="Memories"]').textContent()).toBe('3');
    expect(await page.locator('tr', { hasText: 'the first space' }).locator('td[data-label="Memories quota"]').textContent()).toContain('1 of 10');
    await page.getByRole('button', { name: /^Memories\b/ }).first().click();
    expect((await shownNames(page))[3]).toBe('beta');
    await page.getByRole('button', { name: /^Memories\b/ }).first().click();
    expect((await shownNames(page))[0]).toBe('beta');
    await page.getByLabel('Name starts with').fill('g');
    await page.getByRole('button', { name: 'Filter' }).click();
    await waitReady(page);
    await expect.poll(() => shownNames(page)).toEqual(['gamma']);
    await page.getByLabel('Name starts with').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => shownNames(page)).toHaveLength(4);
    await page.getByLabel('State').selectOption('archived');
    await expect.poll(() => shownNames(page)).toEqual([]);
    expect(await page.getByRole('status').filter({ hasText: 'archived only' }).count()).toBe(1);
    expectNoErrors(errors);
    await context.close();
  });

  it('shows a scoped key its own space only, and a direct URL to another space as not found', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, alphaReader);
    expect(await shownNames(page)).toEqual(['alpha']);
    expect(await page.content()).not.toContain('beta');
    expect(await page.getByRole('button', { name: 'New space' }).count()).toBe(0);
    await visit(page, server, '/console/spaces/beta');
    expect(await page.getByRole('alert').textContent()).toContain('No such space, or this key cannot see it');
    await visit(page, server, '/console/spaces/alpha');
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(await page.getByText('Only an admin of this space may change its settings.').count()).toBe(1);
    expectNoErrors(errors, [/404/]);
    await context.close();
  });

  it('draws the last hour from the server\'s samples', async () => {
    await server.ms.memories.list('alpha', { limit: 1 }); // opens alpha
    await server.ms.health.sampler.sample();
    await server.ms.memories.add('alpha', { content: 'a second apple' });
    await server.ms.health.sampler.sample();
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/alpha');
    expect(await page.locator('svg.sparkline').count()).toBeGreaterThanOrEqual(3);
    expect(await page.getByRole('img', { name: /Memories, last hour: 2 samples, from 1 to 2, now 2/ }).count()).toBe(1);
    expectNoErrors(errors);
    await context.close();
  });

  it('archives then restores a space after confirmation, its state changing', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/gamma');
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Archive' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('.space-cards .badge').textContent()).not.toBe('archived');
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await dialog.getByRole('button', { name: 'Archive' }).click();
    await page.getByRole('status').filter({ hasText: 'Archived “gamma”' }).waitFor();
    await expect.poll(() => page.locator('.space-cards .badge').textContent()).toBe('archived');
    await page.getByRole('link', { name: 'Spaces', exact: true }).first().click();
    await waitReady(page);
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'gamma', exact: true }) });
    expect(await row.locator('.badge').textContent()).toBe('archived');
    await row.getByRole('link', { name: 'gamma' }).click();
    await waitReady(page);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByRole('dialog', { name: 'Restore' }).getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('status').filter({ hasText: 'Restored “gamma”' }).waitFor();
    await expect.poll(() => page.locator('.space-cards .badge').textContent()).not.toBe('archived');
    expectNoErrors(errors);
    await context.close();
  });

  it("saves settings after confirmation, and shows the API's refusal of a bad quota with its code", async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/beta');
    await page.getByLabel('Most memories').fill('many');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save settings' });
    await dialog.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('VALIDATION_FAILED');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByLabel('Most memories').fill('50');
    await page.getByLabel('Description').fill('fruit');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await dialog.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved: description, quotas.').waitFor();
    expect((await server.ms.spaces.get('beta')).quotas.maxMemories).toBe(50);
    await expect.poll(() => page.locator('.space-quotas').textContent()).toContain('3 of 50');
    expectNoErrors(errors, [/400/]);
    await context.close();
  });

  it('refuses a space name the API refuses, with its code', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey);
    await page.getByRole('button', { name: 'New space' }).click();
    await page.getByLabel('Name', { exact: true }).fill('bad name!');
    await page.getByRole('button', { name: 'Create space' }).click();
    await expect.poll(() => page.getByRole('dialog').getByRole('alert').textContent()).toContain('INVALID_SPACE');
    await page.getByLabel('Name', { exact: true }).fill('delta');
    await page.getByRole('button', { name: 'Create space' }).click();
    await page.waitForURL(/\/console\/spaces\/delta$/);
    await waitReady(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('delta');
    expectNoErrors(errors, [/400/]);
    await context.close();
  });

  for (const width of ['desktop', 'phone'] as const) {
    it(`has no serious accessibility violation at ${width} width`, async () => {
      const { context, page, errors } = await openPage(browser, width);
      await signIn(page, server, server.rootKey);
      expect(await seriousViolations(page)).toEqual([]);
      await visit(page, server, '/console/spaces/alpha');
      expect(await seriousViolations(page)).toEqual([]);
      expect(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
      expectNoErrors(errors);
      await context.close();
    });
  }
});
