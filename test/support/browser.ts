import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import type { MemspaceEngine } from '../../src/memspace.js';
import { tempMemspace } from './temp-memspace.js';
import { WordsEmbedder, wordsProvider } from './words-embedder.js';

const WORDS_ID = 'openai:test-words';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM = process.env['MEMSPACE_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps trying
 * Google's hosts. No sandbox: CI runs as root, where Chromium refuses to start with one.
 */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** The two widths the console is made for: a laptop and a phone. */
export const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/** A memspace engine with the words embedder (fast, predictable rankings) serving the HTTP API and console on 127.0.0.1. */
export interface ConsoleServer {
  ms: Awaited<ReturnType<typeof tempMemspace>>;
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  url: string;
  rootKey: string;
  close(): Promise<void>;
}

/** Starts the server; with `logLine`, every line the server logs at level trace goes to it. */
export async function startConsoleServer(options: { ms?: Awaited<ReturnType<typeof tempMemspace>>; logLine?: (line: string) => void } = {}): Promise<ConsoleServer> {
  const ms = options.ms ?? (await tempMemspace({ embedders: wordsProvider(new WordsEmbedder(WORDS_ID, 64)) }));
  const rootKey = (await ms.keys.ensureRootKey())!;
  const logLine = options.logLine;
  const logger = logLine === undefined ? false : { level: 'trace', stream: { write: (line: string) => void logLine(line) } };
  const app = await buildApp({ memspace: ms, metrics: { processMetrics: false }, logger });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    ms,
    app,
    url,
    rootKey,
    async close() {
      await app.close();
      await ms.cleanup();
    },
  };
}

/** A headless Chromium. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/**
 * A page at `width` that records every JavaScript error, console error and CSP violation, so a
 * test can assert there were none ({@link expectNoErrors}).
 */
export async function openPage(browser: Browser, width: keyof typeof WIDTHS = 'desktop'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: WIDTHS[width] });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { context, page, errors };
}

/** Only errors the test expects (an API refusal the page shows logs a failed request): none else. */
export function expectNoErrors(errors: string[], allowed: RegExp[] = []): void {
  expect(errors.filter((e) => !allowed.some((a) => a.test(e)))).toEqual([]);
}

/** Opens `path` of the console (e.g. `/console/spaces`) and waits until its page has loaded what it shows. */
export async function visit(page: Page, server: { url: string }, path: string): Promise<void> {
  await page.goto(`${server.url}${path}`);
  await waitReady(page);
}

/** Waits until the page shown has loaded (its `<main data-ready="true">`). */
export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector('main[data-ready="true"]', { timeout: 15_000 });
}

/** Signs in with `key` through the form, and waits for the spaces page. */
export async function signIn(page: Page, server: { url: string }, key: string, path = '/console/spaces'): Promise<void> {
  await page.goto(`${server.url}${path}`);
  await page.fill('#key', key);
  await page.click('button[type="submit"]');
  await page.waitForSelector('header.top');
  await waitReady(page);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Violations of axe-core's WCAG 2 A/AA rules of impact serious or critical on the page as it is. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  // A string, not a function: the tests are compiled without the DOM's types.
  const result = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
    .then((run) => run.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))`)) as { id: string; impact: string; help: string; targets: string[] }[];
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Creates a key through the engine: `grants` as the API takes them. */
export async function createKey(ms: MemspaceEngine, name: string, grants: { space?: string; prefix?: string; role: 'read' | 'write' | 'admin' }[]): Promise<string> {
  return (await ms.keys.create({ name, grants })).key;
}

/** The embedder of the console tests' spaces: words, so rankings are predictable. */
export const WORDS = { embedder: 'openai:test-words', dimension: 64 } as const;

/** Creates a space with the words embedder. */
export async function createSpace(ms: MemspaceEngine, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await ms.spaces.create({ name, ...WORDS, ...extra });
}
