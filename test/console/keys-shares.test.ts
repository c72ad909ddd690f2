import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createSpace, expectNoErrors, launchBrowser, openPage, seriousViolations, signIn, startConsoleServer, visit, waitReady, type ConsoleServer } from '../support/browser.js';

let server: ConsoleServer;
let browser: Browser;
let alphaAdmin: string;
let betaReader: string;

beforeAll(async () => {
  server = await startConsoleServer();
  await createSpace(server.ms, 'alpha', { isolation: 'shared' });
  await createSpace(server.ms, 'beta', { isolation: 'shared' });
  alphaAdmin = await createKey(server.ms, 'alpha-admin', [{ space: 'alpha', role: 'admin' }]);
  betaReader = await createKey(server.ms, 'beta-reader', [{ space: 'beta', role: 'read' }]);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const whoami = (key: string): Promise<Response> => fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
const mainText = async (page: Page): Promise<string> => (await page.locator('main').textContent()) ?? '';
const stored = (page: Page): Promise<unknown> => page.evaluate('JSON.stringify(Object.entries(sessionStorage)) + JSON.stringify(Object.entries(localStorage)) + document.cookie');

describe('keys page', () => {
  it('creates a key whose secret is shown once, works, stays out of the URL and storage, is gone after leaving, and revokes it', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/keys');
    await page.fill('#keys-new-name', 'alpha-writer');
    await page.getByLabel('Space (grant 1)').fill('alpha');
    await page.getByLabel('Role (grant 1)').selectOption('write');
    await page.fill('#keys-new-default', 'alpha');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretField = page.locator('#keys-secret-value');
    await secretField.waitFor();
    const secret = (await secretField.textContent())!.trim();
    expect(secret).toMatch(/^msk_/);
    expect(await mainText(page)).toContain('will not be shown again');
    // Copying: the clipboard where the browser allows it, else the secret selected for Ctrl+C.
    await page.getByRole('button', { name: 'Copy the secret' }).click();
    await page.getByText(/Copied to the clipboard|the secret is selected/).waitFor();
    const me = await whoami(secret);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'alpha-writer', grants: [{ space: 'alpha', role: 'write' }], defaultSpace: 'alpha' });
    expect(page.url()).not.toContain(secret);
    expect(await stored(page)).not.toContain(secret);
    // The list shows it, grants as text.
    const row = page.getByRole('row', { name: /alpha-writer/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('write on space alpha');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'Spaces', exact: true }).click();
    await waitReady(page);
    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByRole('row', { name: /alpha-writer/ }).waitFor();
    expect(await page.locator('#keys-secret-value').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    await page.getByRole('button', { name: 'Revoke alpha-writer' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke the key' }).click();
    await page.getByRole('row', { name: /alpha-writer/ }).waitFor({ state: 'detached' });
    expect((await whoami(secret)).status).toBe(401);
    await page.getByLabel(/Show revoked keys/).check();
    expect(await page.getByRole('row', { name: /alpha-writer/ }).textContent()).toContain('revoked');
    expectNoErrors(errors);
    await context.close();
  });

  it('shows FORBIDDEN, with its code, for a grant beyond the signed-in key’s own', async () => {
    const { context, page, errors } = await openPage(browser, 'phone');
    await signIn(page, server, alphaAdmin, '/console/keys');
    await page.fill('#keys-new-name', 'too-wide');
    await page.fill('#grant-name-0', 'beta');
    await page.getByRole('button', { name: 'Create key' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('FORBIDDEN');
    expect(await page.locator('#keys-secret-value').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    expectNoErrors(errors, [/403/]);
    await context.close();
  });

  it('a key without an admin grant has no Keys link, and /console/keys refuses it', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, betaReader, '/console/keys');
    expect(await page.getByRole('link', { name: 'Keys', exact: true }).count()).toBe(0);
    expect(await page.getByRole('alert').textContent()).toContain('FORBIDDEN');
    expect(await page.getByRole('table').count()).toBe(0);
    expectNoErrors(errors);
    await context.close();
  });
});

describe('shares page', () => {
  it('lists, creates and stops shares from a space, and lists those given to another', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/alpha/shares');
    expect(await mainText(page)).toContain('This space shares nothing.');
    await page.fill('#shares-to', 'beta');
    await page.fill('#shares-tags', 'public, docs');
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const row = page.getByRole('row', { name: /space's readers: beta/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('only tags: public, docs');
    // A share with itself: the API's refusal, with its code.
    await page.fill('#shares-to', 'alpha');
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('VALIDATION_FAILED');

    await visit(page, server, '/console/spaces/beta/shares');
    const incoming = page.getByRole('region', { name: 'Shares given to beta' });
    expect(await incoming.textContent()).toContain('alpha');
    for (const width of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      await page.setViewportSize(width);
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    await visit(page, server, '/console/spaces/alpha/shares');
    await page.getByRole('button', { name: 'Stop sharing with beta' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop sharing' }).click();
    await page.getByRole('row', { name: /space's readers: beta/ }).waitFor({ state: 'detached' });
    expect(await mainText(page)).toContain('This space shares nothing.');
    expectNoErrors(errors, [/400/]);
    await context.close();
  });

  it('a reader sees what is shared with its space, and another space’s shares page is a missing space', async () => {
    await server.ms.shares.create('alpha', { to: 'beta' });
    const { context, page, errors } = await openPage(browser, 'phone');
    await signIn(page, server, betaReader, '/console/spaces/beta/shares');
    expect(await page.getByRole('region', { name: 'Shares given to beta' }).textContent()).toContain('alpha');
    expect(await mainText(page)).toContain('Only an admin of this space');
    expect(await page.locator('#shares-to').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await visit(page, server, '/console/spaces/alpha/shares');
    expect(await page.getByRole('alert').textContent()).toContain('No such space, or this key cannot see it');
    expect(await page.getByRole('table').count()).toBe(0);
    expectNoErrors(errors, [/404/]);
    await context.close();
  });
});

describe('operators page', () => {
  it('shows the root key the open spaces, the registry figures and the metrics', async () => {
    await server.ms.memories.add('alpha', { content: 'a fact about the registry' });
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/operators');
    const open = page.getByRole('region', { name: 'Open spaces' });
    expect(await open.textContent()).toContain('alpha');
    expect(await mainText(page)).toMatch(/Open spaces\s*\d+ of \d+ \(cap\)/);
    expect(await mainText(page)).toContain('memspace_http_requests_total');
    expect(await page.locator('#operators-raw').count()).toBe(0);
    await page.getByRole('button', { name: 'View raw metrics' }).click();
    expect(await page.locator('#operators-raw').textContent()).toContain('# TYPE memspace_open_spaces gauge');
    for (const width of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      await page.setViewportSize(width);
      expect(await seriousViolations(page)).toEqual([]);
    }
    expectNoErrors(errors);
    await context.close();
  });

  it('refuses a scoped key, showing no figure of other spaces', async () => {
    const { context, page, errors } = await openPage(browser, 'phone');
    await signIn(page, server, alphaAdmin, '/console/operators');
    expect(await page.getByRole('link', { name: 'Operators' }).count()).toBe(0);
    expect(await page.getByRole('alert').textContent()).toContain('FORBIDDEN');
    const text = await mainText(page);
    expect(text).not.toContain('beta');
    expect(text).not.toMatch(/\d+ of \d+/);
    expect(await seriousViolations(page)).toEqual([]);
    expectNoErrors(errors);
    await context.close();
  });
});
