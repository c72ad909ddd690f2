import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/server/console.js';
import { createKey, createSpace, expectNoErrors, launchBrowser, openPage, seriousViolations, signIn, startConsoleServer, type ConsoleServer } from '../support/browser.js';

let server: ConsoleServer;
let browser: Browser;

beforeAll(async () => {
  server = await startConsoleServer();
  await createSpace(server.ms, 'alpha');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('console shell', () => {
  it('serves the console with its CSP, compressed, and its files by content name', async () => {
    const page = await fetch(`${server.url}/console/spaces`, { headers: { 'accept-encoding': 'br' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers.get('content-encoding')).toBe('br');
    const html = await page.text();
    const script = /src="(\/console\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.url}/console/assets/nope.js`)).status).toBe(404);
  });

  it('signs in with a key kept in sessionStorage only, and signs out', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey);
    expect(page.url()).toBe(`${server.url}/console/spaces`);
    expect(await page.evaluate('sessionStorage.getItem("memspace.key")')).toBe(server.rootKey);
    expect(await page.evaluate('localStorage.length + document.cookie.length')).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('#key');
    expect(await page.evaluate('sessionStorage.getItem("memspace.key")')).toBeNull();
    expectNoErrors(errors);
    await context.close();
  });

  it('refuses an unknown key with its code, and keeps nothing', async () => {
    const { context, page, errors } = await openPage(browser);
    await page.goto(`${server.url}/console/`);
    await page.fill('#key', 'msk_not_a_key');
    await page.click('button[type="submit"]');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('UNAUTHENTICATED');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expectNoErrors(errors, [/401/]);
    await context.close();
  });

  it('the sign-in page has no serious accessibility violation', async () => {
    const { context, page } = await openPage(browser, 'phone');
    await page.goto(`${server.url}/console/`);
    await page.waitForSelector('#key');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('a scoped key signs in and sees no Operators link', async () => {
    const key = await createKey(server.ms, 'alpha-reader', [{ space: 'alpha', role: 'read' }]);
    const { context, page } = await openPage(browser);
    await signIn(page, server, key);
    expect(await page.getByRole('link', { name: 'Operators' }).count()).toBe(0);
    await context.close();
  });
});
