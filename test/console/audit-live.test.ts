import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../console/src/pages/live-sse.js';
import { createKey, createSpace, expectNoErrors, launchBrowser, openPage, seriousViolations, signIn, startConsoleServer, visit, waitReady, type ConsoleServer } from '../support/browser.js';

let server: ConsoleServer;
let browser: Browser;
const keys: Record<string, { key: string; id: string }> = {};

/** A call to the API as a key would make it (so the audit trail names that key). */
async function call(key: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${method} ${path}: ${response.status}`).toBe(true);
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

/** Adds a memory to `space` through the API; its id. */
async function write(space: string, content: string, key = server.rootKey): Promise<string> {
  return (await call(key, 'POST', `/v1/spaces/${space}/memories`, { content }))['id'] as string;
}

async function newKey(name: string, grants: { space: string; role: 'read' | 'write' | 'admin' }[]): Promise<void> {
  const key = await createKey(server.ms, name, grants);
  keys[name] = { key, id: (await call(key, 'GET', '/v1/whoami'))['id'] as string };
}

beforeAll(async () => {
  server = await startConsoleServer();
  for (const name of ['alpha', 'beta', 'gamma', 'stream']) await createSpace(server.ms, name);
  await newKey('alpha-admin', [{ space: 'alpha', role: 'admin' }]);
  await newKey('alpha-writer', [{ space: 'alpha', role: 'write' }]);
  await newKey('stream-reader', [{ space: 'stream', role: 'read' }]);
  // 55 entries in alpha: 52 by a loader (the library's actor), 2 by the writer key, a delete by the admin key.
  for (let i = 0; i < 52; i++) await server.ms.memories.add('alpha', { content: `Loaded memory ${i}` }, { actor: 'loader' });
  await write('alpha', 'Written by the writer', keys['alpha-writer']!.key);
  const doomed = await write('alpha', 'Written to be deleted', keys['alpha-writer']!.key);
  await call(keys['alpha-admin']!.key, 'DELETE', `/v1/spaces/alpha/memories/${doomed}`);
  await write('beta', 'Beta keeps this to itself');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const rows = (page: Page): Promise<number> => page.locator('main tbody tr').count();
const seqs = async (page: Page, cell: string): Promise<number[]> => (await page.locator(`main tbody ${cell}`).allTextContents()).map((t) => Number.parseInt(t, 10));

async function filterBy(page: Page, fields: { action?: string; actor?: string }): Promise<void> {
  await page.fill('#audit-action', fields.action ?? '');
  await page.fill('#audit-actor', fields.actor ?? '');
  await page.getByRole('button', { name: 'Apply' }).click();
  await waitReady(page);
}

describe('console audit', () => {
  it('lists the trail newest first, 50 a page, and narrows it by action and by key', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, keys['alpha-admin']!.key, '/console/spaces/alpha/audit');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Audit trail of alpha');
    expect(await rows(page)).toBe(50);
    expect((await seqs(page, '.audit-seq')).slice(0, 3)).toEqual([55, 54, 53]);
    expect(await page.locator('main tbody tr').first().textContent()).toContain('memory.delete');
    // The signed-in key's own entries show its name beside its id.
    expect(await page.locator('main tbody tr').first().textContent()).toContain(`alpha-admin ${keys['alpha-admin']!.id}`);

    await page.getByRole('link', { name: /Next page/ }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(() => seqs(page, '.audit-seq')).toEqual([5, 4, 3, 2, 1]);
    await page.getByRole('link', { name: /First page/ }).click();
    await expect.poll(() => rows(page)).toBe(50);

    await filterBy(page, { action: 'memory.delete' });
    await expect.poll(() => seqs(page, '.audit-seq')).toEqual([55]);
    await filterBy(page, { actor: keys['alpha-writer']!.id });
    await expect.poll(() => seqs(page, '.audit-seq')).toEqual([54, 53]);
    expect(page.url()).toContain(`actor=${keys['alpha-writer']!.id}`);
    expect(page.url()).not.toMatch(/msk_/);
    // An actor in the table is a link to its entries only.
    await filterBy(page, { action: 'memory.create' });
    await page.locator('main tbody a.audit-actor').last().click();
    await page.waitForURL(/actor=loader/);
    await expect.poll(() => rows(page)).toBe(50);
    await page.selectOption('#audit-order', 'asc');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => (await seqs(page, '.audit-seq')).slice(0, 2)).toEqual([1, 2]);
    expectNoErrors(errors);
    await context.close();
  });

  it('shows a bad filter as the API refuses it, with its code', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, keys['alpha-admin']!.key, '/console/spaces/alpha/audit');
    await filterBy(page, { action: 'Not An Action' });
    await expect.poll(async () => page.getByRole('alert').textContent()).toContain('VALIDATION_FAILED');
    await filterBy(page, { action: '', actor: 'a'.repeat(300) });
    await expect.poll(async () => page.getByRole('alert').textContent()).toContain('VALIDATION_FAILED');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Audit trail of alpha');
    expectNoErrors(errors, [/400/]);
    await context.close();
  });

  it('verifies an intact chain, with the count', async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, keys['alpha-admin']!.key, '/console/spaces/alpha/audit');
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect.poll(async () => page.locator('.audit-verify [role="status"]').textContent()).toContain('Chain intact: 55 entries verified.');
    expectNoErrors(errors);
    await context.close();
  });

  it('shows a chain altered in the database as broken, at its first broken entry', async () => {
    for (let i = 0; i < 4; i++) await server.ms.memories.add('gamma', { content: `Gamma memory ${i}` }, { actor: 'loader' });
    // As someone with access to the disk could: the space closed, its append-only trigger dropped, one row altered.
    await server.ms.registry.closeSpace('gamma');
    const db = new Database(join(server.ms.dataDir, 'spaces', 'gamma', 'space.db'));
    try {
      db.exec('DROP TRIGGER audit_no_update');
      db.prepare(`UPDATE audit SET actor = 'someone-else' WHERE seq = 2`).run();
    } finally {
      db.close();
    }
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, server.rootKey, '/console/spaces/gamma/audit');
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const verdict = page.locator('.audit-verify [role="status"]');
    await expect.poll(async () => verdict.textContent()).toContain('Chain broken at entry 2 (of 4): entry 2 was altered');
    expect(await page.locator('main tbody tr', { hasText: 'first broken entry' }).textContent()).toContain('someone-else');
    await page.getByRole('link', { name: 'Go to entry 2' }).click();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('audit-entry-2');
    expectNoErrors(errors);
    await context.close();
  });
});

/** The ids the live list shows, top first. */
const liveIds = (page: Page): Promise<string[]> => page.locator('main tbody td[data-label="Subject"]').allTextContents();
const liveState = (page: Page): Promise<string | null> => page.locator('.live-state').textContent();

async function openLive(key: string): Promise<{ context: Awaited<ReturnType<typeof openPage>>['context']; page: Page; errors: string[] }> {
  const opened = await openPage(browser);
  await signIn(opened.page, server, key, '/console/spaces/stream/live');
  await expect.poll(() => liveState(opened.page)).toContain('Connected');
  return opened;
}

describe('console live', () => {
  it('shows a change within 2 s of its write, newest at the top', async () => {
    const { context, page, errors } = await openLive(keys['stream-reader']!.key);
    const first = await write('stream', 'First live memory');
    await page.locator('main tbody tr', { hasText: first }).waitFor({ timeout: 2000 });
    const second = await write('stream', 'Second live memory');
    await page.locator('main tbody tr', { hasText: second }).waitFor({ timeout: 2000 });
    expect(await liveIds(page)).toEqual([second, first]);
    expect(await page.locator('main tbody tr').first().textContent()).toContain('memory.created');
    expectNoErrors(errors);
    await context.close();
  });

  it('holds changes while paused and shows them on resume', async () => {
    const { context, page, errors } = await openLive(keys['stream-reader']!.key);
    await page.getByRole('button', { name: 'Pause' }).click();
    const held = [await write('stream', 'Held one'), await write('stream', 'Held two')];
    await expect.poll(() => liveState(page)).toContain('Paused: 2 new events held.');
    expect(await rows(page)).toBe(1); // the "nothing yet" row
    await page.getByRole('button', { name: /Resume \(2 held\)/ }).click();
    await expect.poll(() => liveIds(page)).toEqual([held[1], held[0]]);
    expectNoErrors(errors);
    await context.close();
  });

  it('reconnects after the server drops the stream, resuming without loss or duplicates', async () => {
    const { context, page, errors } = await openLive(keys['stream-reader']!.key);
    const before = await write('stream', 'Before the drop');
    await page.locator('main tbody tr', { hasText: before }).waitFor();
    // Every connection cut at once; the writes land while the page is away (its first retry waits 0.5 s).
    server.app.server.closeAllConnections();
    const during = [(await server.ms.memories.add('stream', { content: 'During the drop 1' })).id, (await server.ms.memories.add('stream', { content: 'During the drop 2' })).id];
    await expect.poll(() => liveState(page), { timeout: 10_000 }).toMatch(/reconnected 1 time, nothing missed/);
    const after = await write('stream', 'After the drop');
    await page.locator('main tbody tr', { hasText: after }).waitFor();
    expect(await liveIds(page)).toEqual([after, during[1], during[0], before]);
    const shown = await seqs(page, '.live-seq');
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown).toEqual([...shown].sort((a, b) => b - a));
    expectNoErrors(errors, [/ERR_(INCOMPLETE_CHUNKED_ENCODING|CONNECTION_RESET|EMPTY_RESPONSE|NETWORK_CHANGED)|network error/i]);
    await context.close();
  });
});

describe('console audit and live: access and accessibility', () => {
  it("a scoped key cannot open another space's audit or live page by its URL", async () => {
    const { context, page, errors } = await openPage(browser);
    await signIn(page, server, keys['alpha-admin']!.key);
    for (const path of ['/console/spaces/beta/audit', '/console/spaces/beta/live', '/console/spaces/nope/live']) {
      await visit(page, server, path);
      expect(await page.getByRole('alert').textContent(), path).toContain('No such space, or this key cannot see it.');
      expect(await page.locator('main tbody').count(), path).toBe(0);
    }
    // A key that reads the space but does not administer it is refused its trail, with the code.
    await visit(page, server, '/console/spaces/alpha/audit');
    expect(await rows(page)).toBe(50);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, server, keys['alpha-writer']!.key, '/console/spaces/alpha/audit');
    expect(await page.getByRole('alert').textContent()).toContain('FORBIDDEN');
    expectNoErrors(errors, [/404/, /403/]);
    await context.close();
  });

  for (const width of ['desktop', 'phone'] as const) {
    it(`has no serious accessibility violation at ${width} width`, async () => {
      const { context, page, errors } = await openPage(browser, width);
      await signIn(page, server, server.rootKey, '/console/spaces/alpha/audit');
      await page.getByRole('button', { name: 'Verify chain' }).click();
      await page.locator('.audit-verdict').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      await visit(page, server, '/console/spaces/stream/live');
      await expect.poll(() => liveState(page)).toContain('Connected');
      const id = await write('stream', `Seen at ${width} width`);
      await page.locator('main tbody tr', { hasText: id }).waitFor();
      await page.getByRole('button', { name: 'Pause' }).click();
      expect(await seriousViolations(page)).toEqual([]);
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      // Leaving the page ends its stream.
      const ended = page.waitForEvent('requestfailed', { predicate: (r) => r.url().includes('/events'), timeout: 5000 });
      await page.getByRole('link', { name: 'Audit' }).click();
      expect((await ended).failure()?.errorText).toMatch(/ABORTED/);
      await waitReady(page);
      expectNoErrors(errors);
      await context.close();
    });
  }
});

describe('the live page\'s event-stream parser', () => {
  const STREAM = ': memspace change stream\n\nid: 6\n\nid: 7\nevent: memory.created\ndata: {"seq":7}\n\n: ping\n\nid: 8\r\nevent: memory.deleted\r\ndata: {"seq":8}\r\n\r\ndata: one\rdata:two\r\r: a lone CR ends a line too\n';
  const WANT = [
    { id: '7', event: 'memory.created', data: '{"seq":7}' },
    { id: '8', event: 'memory.deleted', data: '{"seq":8}' },
    { id: '8', event: 'message', data: 'one\ntwo' },
  ];

  it('dispatches events, skips comments, and takes an id without data as the position', () => {
    const parser = new SseParser();
    expect(parser.feed(': memspace change stream\n\nid: 6\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('6');
    expect(parser.feed(STREAM.slice(STREAM.indexOf('id: 7')))).toEqual(WANT);
    expect(parser.lastEventId).toBe('8');
  });

  it('gives the same events however the text is split, even between a CR and its LF', () => {
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const got = [];
      for (let i = 0; i < STREAM.length; i += size) got.push(...parser.feed(STREAM.slice(i, i + size)));
      expect(got, `chunks of ${size}`).toEqual(WANT);
    }
  });
});
