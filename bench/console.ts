/**
 * The web console on a 10,000-memory space (`npm run bench:console`, a few minutes): a real
 * server on 127.0.0.1 and Debian's Chromium (test/support/browser.ts). For each page, the time
 * from an in-app navigation to the page's `main[data-ready="true"]` (the console's own
 * `performance.measure('console:page')`), beside its floor: the same API calls the page made,
 * sent one after another from Node with fetch in the same run (a page cannot be faster than
 * the calls it waits for, bar the ones it makes at once). Also each page opened by URL (the
 * navigation's start to ready, cached assets) and a cold first load (empty cache), with the
 * compressed bytes it downloads.
 *
 * Writes the kept section `console` of bench/RESULTS.md (bench/kept-sections.ts); `--quick`
 * (1,000 memories, a few visits) writes nothing.
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Browser, Page, Request } from 'playwright-core';
import { buildConsole } from '../console/build.js';
import { loadConfig } from '../src/config.js';
import { DefaultEmbedderProvider } from '../src/embed/embedder-provider.js';
import { openEngine, type MemspaceEngine } from '../src/memspace.js';
import { buildApp } from '../src/server/app.js';
import { launchBrowser, openPage, signIn, WORDS } from '../test/support/browser.js';
import { tempDir } from '../test/support/temp-memspace.js';
import { WordsEmbedder } from '../test/support/words-embedder.js';
import { writeKeptSection } from './kept-sections.js';
import { loadSentence, partRunner, type Part, type PartsSummary } from './parts.js';

/** `--quick`: a smoke run (1,000 memories, few visits) that writes nothing. */
const QUICK = process.argv.includes('--quick');
const MEMORIES = QUICK ? 1_000 : 10_000;
const BATCH = 500;
/** The local model is used when the first 1,000 memories say the whole seed takes at most this long. */
const MODEL_BUDGET_SEC = 180;
/** In-app visits of each page, URL loads of each page, cold first loads. */
const VISITS = QUICK ? 3 : 15;
const LOADS = QUICK ? 2 : 5;
const COLD = QUICK ? 1 : 3;
const SPACE = 'ops-knowledge';

/** One API call a page made: what the floor sends again. */
interface Call {
  method: string;
  url: string;
  body: string | null;
}

interface PageFigures {
  name: string;
  /** API calls per in-app visit (the last visit's), as `METHOD path`. */
  calls: string[];
  visit: { p50: number; p95: number };
  floor: { p50: number; p95: number };
  /** The same calls made by fetch inside the page. */
  inPage: { p50: number; p95: number };
  load: { p50: number; p95: number };
}

interface ConsoleFigures {
  embedder: string;
  embedderWhy: string;
  seedSec: number;
  memories: number;
  spaces: number;
  keys: number;
  pages: PageFigures[];
  cold: { p50: number; bytes: number; files: { url: string; bytes: number; encoding: string }[] };
}

interface ConsoleBenchResult extends PartsSummary {
  run: Part<ConsoleFigures>;
}

const WORD_LIST = 'invoice refund renewal outage latency deploy rollback cache index replica backup restore quota billing contract onboarding escalation incident runbook migration certificate firewall region cluster schedule'.split(' ');
const CUSTOMERS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell', 'soylent', 'wonka'];
const REGIONS = ['eu-west', 'us-east', 'ap-south'];
const KINDS = ['fact', 'decision', 'procedure', 'incident'];

/** The i-th memory of the seed: sentences an operations team would keep, with tags and metadata. */
function memory(i: number): Record<string, unknown> {
  const w = (k: number): string => WORD_LIST[(i * k + k) % WORD_LIST.length]!;
  const customer = CUSTOMERS[i % CUSTOMERS.length]!;
  return {
    content: `${customer} ${w(3)} note ${i}: the ${w(7)} after the ${w(11)} needs a ${w(13)} check before the ${w(17)} in ${REGIONS[i % 3]}`,
    tags: [w(3), customer, ...(i % 4 === 0 ? ['priority'] : [])],
    metadata: { customer, ticket: `OPS-${10_000 + i}`, region: REGIONS[i % 3] },
    userId: `user-${i % 50}`,
    kind: KINDS[i % KINDS.length],
    importance: (i % 10) / 10,
  };
}

/**
 * Fills `space` with {@link MEMORIES} memories; false (and nothing more added) when the model's
 * pace over memories 500-2,000 (the first batch also loads it) says the whole seed would take
 * more than {@link MODEL_BUDGET_SEC}.
 */
async function fill(ms: MemspaceEngine, space: string, model: boolean, progress: (line: string) => void): Promise<{ ok: boolean; projectedSec?: number }> {
  const started = performance.now();
  let afterFirst = started;
  let projectedSec: number | undefined;
  for (let at = 0; at < MEMORIES; at += BATCH) {
    await ms.memories.addMany(space, Array.from({ length: BATCH }, (_, k) => memory(at + k)));
    const now = performance.now();
    if (at === 0) afterFirst = now;
    if (model && !QUICK && at + BATCH === 2000) {
      projectedSec = (now - started + ((now - afterFirst) / 1500) * (MEMORIES - 2000)) / 1000;
      progress(`console: the model stored 2,000 memories in ${((now - started) / 1000).toFixed(0)} s: ${projectedSec.toFixed(0)} s projected for ${MEMORIES}`);
      if (projectedSec > MODEL_BUDGET_SEC) return { ok: false, projectedSec };
    }
    if ((at + BATCH) % 2000 === 0) progress(`console: ${at + BATCH} memories in ${((now - started) / 1000).toFixed(0)} s`);
  }
  return { ok: true, ...(projectedSec !== undefined && { projectedSec }) };
}

/** The seed: the big space (relations, edits, a share), 20 small spaces, 12 keys. */
async function seed(ms: MemspaceEngine, progress: (line: string) => void): Promise<{ embedder: string; why: string; memory: string; sec: number }> {
  const started = performance.now();
  await ms.spaces.create({ name: SPACE, isolation: 'shared', description: 'Runbooks, incidents and customer notes of the operations team' });
  let embedder = 'local:use-lite';
  const filled = await fill(ms, SPACE, true, progress);
  const projected = filled.projectedSec === undefined ? '' : ` (its first 2,000 memories projected ${filled.projectedSec.toFixed(0)} s for the whole seed on this machine)`;
  let why = `the local model${projected}`;
  if (!filled.ok) {
    await ms.spaces.delete(SPACE);
    await ms.spaces.create({ name: SPACE, isolation: 'shared', ...WORDS });
    await fill(ms, SPACE, false, progress);
    embedder = WORDS.embedder;
    why = `the words embedder (test/support/words-embedder.ts), because the local model${projected}, more than the ${MODEL_BUDGET_SEC} s allowed`;
  }
  const first = await ms.memories.list(SPACE, { limit: 300 });
  const ids = first.items.map((m) => m.id);
  for (let i = 0; i + 1 < ids.length; i += 2) await ms.memories.relate(SPACE, { from: ids[i], to: ids[i + 1], type: i % 3 === 0 ? 'resolves' : 'see_also' });
  for (let i = 0; i < 6; i++) await ms.memories.update(SPACE, ids[0]!, { content: `${String(memory(0)['content'])} (revision ${i + 1})`, tags: ['priority', `rev-${i + 1}`] });
  for (let s = 1; s <= 20; s++) {
    const name = `team-${String(s).padStart(2, '0')}`;
    await ms.spaces.create({ name, ...WORDS, isolation: 'shared' });
    await ms.memories.addMany(name, Array.from({ length: 5 }, (_, k) => memory(s * 100 + k)));
  }
  await ms.shares.create(SPACE, { to: 'team-01' });
  await ms.shares.create(SPACE, { to: 'team-02', tags: ['priority'] });
  for (let k = 1; k <= 12; k++) await ms.keys.create({ name: `agent-${k}`, grants: [{ space: `team-${String(k).padStart(2, '0')}`, role: k % 3 === 0 ? 'admin' : 'write' }] });
  return { embedder, why, memory: ids[0]!, sec: (performance.now() - started) / 1000 };
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const spread = (values: readonly number[]): { p50: number; p95: number } => ({ p50: quantile(values, 0.5), p95: quantile(values, 0.95) });

/** A page's API calls as the floor sends them again: reads only (a search is one). */
function replayable(request: Request): Call | undefined {
  const url = new URL(request.url());
  if (!url.pathname.startsWith('/v1/')) return undefined;
  const method = request.method();
  if (method !== 'GET' && !(method === 'POST' && url.pathname.endsWith('/search'))) return undefined;
  return { method, url: request.url(), body: request.postData() };
}

/** The floor: `calls` one after another from Node, each read to its end (a change stream to its headers). */
async function floor(calls: readonly Call[], key: string): Promise<number> {
  const started = performance.now();
  for (const c of calls) {
    const abort = new AbortController();
    const response = await fetch(c.url, {
      method: c.method,
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(c.body !== null && { 'content-type': 'application/json' }) },
      ...(c.body !== null && { body: c.body }),
      signal: abort.signal,
    });
    if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) abort.abort();
    else await response.arrayBuffer();
  }
  return performance.now() - started;
}

/**
 * The same floor from inside the page: the calls sent one after another by the page's own
 * fetch (with the tab's key), so what a visit costs beyond them is the console's own work
 * (rendering, its scheduling) rather than the browser's networking.
 */
async function pageFloor(page: Page, calls: readonly Call[]): Promise<number> {
  return (await page.evaluate(`(async (calls) => {
    const key = sessionStorage.getItem('memspace.key');
    const started = performance.now();
    for (const c of calls) {
      const abort = new AbortController();
      const headers = { authorization: 'Bearer ' + key, accept: 'application/json' };
      if (c.body !== null) headers['content-type'] = 'application/json';
      const response = await fetch(c.url, { method: c.method, headers, body: c.body === null ? undefined : c.body, signal: abort.signal, cache: 'no-store', credentials: 'omit' });
      if ((response.headers.get('content-type') || '').includes('text/event-stream')) abort.abort();
      else await response.arrayBuffer();
    }
    return performance.now() - started;
  })(${JSON.stringify(calls)})`)) as number;
}

/** A call as the results table names it: its query decoded, ids as `:id`. */
function callText(c: Call): string {
  const url = new URL(c.url);
  return `${c.method} ${decodeURIComponent(url.pathname + url.search)}`.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ':id');
}

/** Shows `path` in place, as a click on a console link does (the router follows popstate), and waits for its measure. */
async function navigateInApp(page: Page, path: string): Promise<number> {
  await page.evaluate(`performance.clearMarks(); performance.clearMeasures(); history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'));`);
  // A function, not a string: the console's CSP forbids the eval a string predicate needs.
  await page.waitForFunction(() => performance.getEntriesByName('console:page').length > 0, null, { timeout: 30_000, polling: 5 });
  return (await page.evaluate(`performance.getEntriesByName('console:page')[0].duration`)) as number;
}

/** Opens `url` and gives the time from the navigation's start to the page's first ready mark. */
async function loadByUrl(page: Page, url: string): Promise<number> {
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('console:ready').length > 0, null, { timeout: 30_000, polling: 5 });
  return (await page.evaluate(`performance.getEntriesByName('console:ready')[0].startTime`)) as number;
}

/** One page's figures: in-app visits (each beside its floor, the calls sent again right after), then loads by URL. */
async function measurePage(page: Page, origin: string, key: string, name: string, path: string, requests: Request[]): Promise<PageFigures> {
  const visits: number[] = [];
  const floors: number[] = [];
  const inPage: number[] = [];
  let calls: Call[] = [];
  for (let i = 0; i < VISITS + 1; i++) {
    await navigateInApp(page, '/console/bench-neutral'); // the not-found page: nothing to load
    const from = requests.length;
    const ms = await navigateInApp(page, path);
    calls = requests.slice(from).map(replayable).filter((c): c is Call => c !== undefined);
    const floorMs = await floor(calls, key);
    const inPageMs = await pageFloor(page, calls);
    if (i === 0) continue; // the first visit warms the server's caches for this page
    visits.push(ms);
    floors.push(floorMs);
    inPage.push(inPageMs);
  }
  const loads: number[] = [];
  for (let i = 0; i < LOADS; i++) loads.push(await loadByUrl(page, `${origin}${path}`));
  return { name, calls: calls.map(callText), visit: spread(visits), floor: spread(floors), inPage: spread(inPage), load: spread(loads) };
}

/** Cold first loads: a new browser context each (empty cache), the key already in the tab, the spaces page. */
async function coldLoads(browser: Browser, origin: string, key: string): Promise<ConsoleFigures['cold']> {
  const times: number[] = [];
  let files: { url: string; bytes: number; encoding: string }[] = [];
  for (let i = 0; i < COLD; i++) {
    const { context, page } = await openPage(browser, 'desktop');
    // In the tab's storage before the console starts, as after a sign-in; never in a URL.
    await context.addInitScript(`sessionStorage.setItem('memspace.key', ${JSON.stringify(key)})`);
    const finished: Promise<{ url: string; bytes: number; encoding: string }>[] = [];
    page.on('requestfinished', (r) => finished.push(r.sizes().then(async (s) => ({ url: new URL(r.url()).pathname, bytes: s.responseBodySize, encoding: (await (await r.response())?.headerValue('content-encoding')) ?? 'identity' }))));
    times.push(await loadByUrl(page, `${origin}/console/spaces`));
    await page.waitForLoadState('networkidle');
    files = (await Promise.all(finished)).filter((f) => !f.url.startsWith('/v1/'));
    await context.close();
  }
  return { p50: quantile(times, 0.5), bytes: files.reduce((s, f) => s + f.bytes, 0), files };
}

async function benchConsole(progress: (line: string) => void): Promise<ConsoleBenchResult> {
  const { run: part, summary } = partRunner('console', progress);
  const dataDir = tempDir('memspace-bench-console-');
  const local = new DefaultEmbedderProvider();
  const words = new WordsEmbedder(WORDS.embedder, WORDS.dimension);
  const ms = await openEngine(loadConfig({ dataDir }, {}), {
    embedders: { get: (id, dim) => (id === words.id && dim === words.dimension ? words : local.get(id, dim)), dimensionOf: (id) => (id === words.id ? words.dimension : local.dimensionOf(id)), close: () => local.close() },
  });
  let browser: Browser | undefined;
  try {
    const key = (await ms.keys.ensureRootKey())!; // before the seed's keys: only a keyless memspace makes one
    const seeded = await part(`seed ${MEMORIES.toLocaleString('en-US')} memories`, () => seed(ms, progress));
    if ('error' in seeded) return { ...summary(), run: seeded };
    const run = await part('pages in Chromium', async (): Promise<ConsoleFigures> => {
      await buildConsole();
      const app = await buildApp({ memspace: ms, metrics: { processMetrics: false } });
      const origin = await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        browser = await launchBrowser();
        const { context, page } = await openPage(browser, 'desktop');
        const requests: Request[] = [];
        page.on('request', (r) => requests.push(r));
        await signIn(page, { url: origin }, key);
        const base = `/console/spaces/${SPACE}`;
        const PAGES: [string, string][] = [
          ['spaces', '/console/spaces'],
          ['space', base],
          ['memories', `${base}/memories`],
          ['memory', `${base}/memories/${seeded.memory}`],
          // A comparison, as a shared link names it: a hybrid and a keyword search of one query.
          ['search', `${base}/search?q=${encodeURIComponent('invoice refund after the outage')}&compare=1&b.mode=keyword`],
          ['audit', `${base}/audit`],
          ['live', `${base}/live`],
          ['keys', '/console/keys'],
          ['operators', '/console/operators'],
        ];
        const pages: PageFigures[] = [];
        for (const [name, path] of PAGES) {
          progress(`console: ${name}...`);
          pages.push(await measurePage(page, origin, key, name, path, requests));
        }
        await context.close();
        const cold = await coldLoads(browser, origin, key);
        const spaces = (await ms.spaces.list({ limit: 100 })).items.length;
        return { embedder: seeded.embedder, embedderWhy: seeded.why, seedSec: seeded.sec, memories: MEMORIES, spaces, keys: 13, pages, cold };
      } finally {
        await app.close();
      }
    });
    return { ...summary(), run };
  } finally {
    await browser?.close();
    await ms.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The `console` section of RESULTS.md. */
function consoleMarkdown(res: ConsoleBenchResult): string {
  const head = ['## Web console on a 10,000-memory space', '', `Measured by \`bench/console.ts\` (\`npm run bench:console\`) on ${res.date}, in ${Math.round(res.durationSec)} s. ${loadSentence(res)}`, ''];
  const r = res.run;
  if ('error' in r) return [...head, `Failed: ${r.error}`].join('\n');
  const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-');
  const rows = r.pages.map((p) => `| ${p.name} | ${ms(p.visit.p50)} | ${ms(p.visit.p95)} | ${ms(p.floor.p50)} | ${(p.visit.p50 / p.floor.p50).toFixed(1)}× | ${ms(p.inPage.p50)} | ${ms(p.load.p50)} | ${ms(p.load.p95)} | ${p.calls.map((c) => `\`${c}\``).join(', ') || '-'} |`);
  const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  return [
    ...head,
    `A space of ${r.memories.toLocaleString('en-US')} memories (tags, metadata, 150 relations, one memory edited 6 times; embedder: ${r.embedderWhy}), ${r.spaces} spaces in all, ${r.keys} keys, 2 shares; seeded through the engine's batch API in ${r.seedSec.toFixed(0)} s. Served on 127.0.0.1 by the HTTP app (root key), driven by Debian's Chromium (headless, 1280 px). ` +
      `**Visit**: an in-app navigation (what a click on a console link does) from the not-found page to the page, until its \`main[data-ready="true"]\` (the console's \`console:page\` measure), ${VISITS} times after one untimed. ` +
      `**Floor**: the same API calls that visit made, sent again right after it from Node with fetch, one after another (a change stream: until its headers); **same calls in page**: sent again by fetch inside the page, so a visit's time beyond it is the console's own (rendering, scheduling), not the browser's networking. ` +
      `**By URL**: the page opened by its address (assets cached), from the navigation's start to ready, ${LOADS} times. Times in ms.`,
    '',
    '| Page | Visit p50 | Visit p95 | Floor p50 | Visit / floor | Same calls in page p50 | By URL p50 | By URL p95 | API calls of a visit |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    "A visit's time beyond the same calls in the page is mostly waiting for frames: Preact runs a component's effects after the next paint (`requestAnimationFrame`, about 16 ms at 60 Hz), and a page starts its load in one effect and sets its ready mark in another, once the answer has rendered.",
    '',
    `Cold first load (a new browser context, empty cache, the key already in the tab, the spaces page): median ${ms(r.cold.p50)} ms over ${COLD}; it downloads ${kib(r.cold.bytes)} compressed besides its API calls: ${r.cold.files.map((f) => `\`${f.url}\` ${kib(f.bytes)} (${f.encoding})`).join(', ')}.`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  const section = consoleMarkdown(await benchConsole(progress));
  process.stdout.write(`${section}\n`);
  if (!QUICK) await writeKeptSection(join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), 'console', section);
}
