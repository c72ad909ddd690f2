/**
 * Screenshots of every console page (`npm run console:screenshots`): a server with realistic
 * seed data (a few spaces, memories with tags and metadata, a relation, an edit's history, an
 * audit trail by two keys, a share, keys), signed in as root in Debian's Chromium, each page
 * saved at 1280 px (the whole page) and 390 px (the screen) as
 * `docs/console/<page>-desktop.png` and `<page>-phone.png`. The words embedder stands in for
 * the model: rankings look alike and the seed takes a second.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildConsole } from '../console/build.js';
import { launchBrowser, openPage, signIn, startConsoleServer, waitReady, WORDS, type ConsoleServer } from '../test/support/browser.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'console');

/** A caller of the API with one key. */
type Caller = <T>(method: string, path: string, body?: unknown) => Promise<T>;

function caller(server: ConsoleServer, key: string): Caller {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
}

/** The support desk's memories: what an agent helping customers would keep. */
const SUPPORT = [
  { content: 'Acme Corp is on the annual Enterprise plan; renewal is due on 1 March', tags: ['billing', 'acme'], metadata: { customer: 'acme', plan: 'enterprise' }, userId: 'acme', importance: 0.9 },
  { content: 'Acme prefers email over phone and answers within a day', tags: ['preferences', 'acme'], metadata: { customer: 'acme', channel: 'email' }, userId: 'acme' },
  { content: 'Refunds above 500 EUR need a second approval from finance', tags: ['billing', 'policy'], metadata: { owner: 'finance' }, kind: 'policy', importance: 0.8 },
  { content: 'Globex reported slow exports from the EU region on 12 November', tags: ['incident', 'globex'], metadata: { customer: 'globex', region: 'eu-west', ticket: 'SUP-4411' }, userId: 'globex' },
  { content: 'The EU export slowness was a full disk on the report worker; fixed by cleanup job', tags: ['incident', 'resolved'], metadata: { ticket: 'SUP-4411', rootCause: 'disk' }, kind: 'resolution' },
  { content: 'Initech asked for SSO with Okta before they add 40 seats', tags: ['sales', 'initech', 'sso'], metadata: { customer: 'initech', seats: 40 }, userId: 'initech' },
  { content: 'Invoices are sent on the first working day of the month', tags: ['billing'], metadata: { source: 'handbook' }, kind: 'fact' },
  { content: 'Umbrella Ltd wants invoices addressed to their Dublin office', tags: ['billing', 'umbrella'], metadata: { customer: 'umbrella', city: 'Dublin' }, userId: 'umbrella' },
  { content: 'Password reset emails can take up to ten minutes on the free plan', tags: ['known-issue', 'auth'], metadata: { plan: 'free' } },
  { content: 'Escalate data-loss reports to the on-call engineer immediately', tags: ['policy', 'escalation'], metadata: { owner: 'support-lead' }, kind: 'policy', importance: 1 },
  { content: 'Hooli trial ends on 20 December; they asked about a 2-week extension', tags: ['sales', 'hooli', 'trial'], metadata: { customer: 'hooli', trialEnds: '2026-12-20' }, userId: 'hooli' },
  { content: 'The status page is status.example.com; post there before replying to tickets about outages', tags: ['incident', 'process'], metadata: { source: 'runbook' }, kind: 'procedure' },
  { content: 'Acme\u2019s admin contact is Dana Whit, dana@acme.example', tags: ['acme', 'contact'], metadata: { customer: 'acme', role: 'admin' }, userId: 'acme' },
  { content: 'Globex is evaluating a move to the Business plan next quarter', tags: ['sales', 'globex'], metadata: { customer: 'globex' }, userId: 'globex', importance: 0.6 },
  { content: 'Customers can export their data as CSV or JSON from Settings, Data', tags: ['how-to', 'export'], metadata: { source: 'docs' }, kind: 'fact' },
];

const RESEARCH = [
  { content: 'Hybrid search beats vector-only on short keyword-heavy questions', tags: ['retrieval', 'finding'], metadata: { experiment: 'exp-12', delta: '+6.1 points' }, kind: 'finding' },
  { content: 'Reciprocal rank fusion with k=60 is a robust default', tags: ['retrieval'], metadata: { paper: 'Cormack 2009' } },
  { content: 'Chunking at 300 tokens with 50 overlap gave the best recall on the manuals', tags: ['chunking', 'finding'], metadata: { experiment: 'exp-9' }, kind: 'finding' },
  { content: 'Billing questions are 31% of support volume this quarter', tags: ['support', 'billing', 'metric'], metadata: { quarter: 'Q4' } },
  { content: 'Try reranking only the top 20 to keep p95 under 200 ms', tags: ['latency', 'idea'], metadata: { owner: 'lee' }, kind: 'idea' },
];

const ONBOARDING = [
  { content: 'New hires get a laptop and accounts on day one; IT ticket template ONB-1', tags: ['it', 'checklist'], metadata: { team: 'it' }, kind: 'procedure' },
  { content: 'Buddy program: every new hire is paired for the first 30 days', tags: ['people'], metadata: { owner: 'hr' } },
  { content: 'Security training must be done in the first week', tags: ['security', 'checklist'], metadata: { deadlineDays: 7 }, importance: 0.9 },
];

/** Everything the pages show: spaces, memories, a relation, history, keys, a share, an audit trail by two keys. */
async function seed(server: ConsoleServer): Promise<{ memory: string }> {
  const root = caller(server, server.rootKey);
  await root('POST', '/v1/spaces', { name: 'support-desk', ...WORDS, isolation: 'shared', quotas: { maxMemories: 50 }, description: 'What the support agent remembers about customers and policies' });
  await root('POST', '/v1/spaces', { name: 'research-notes', ...WORDS, description: 'Retrieval experiments and findings' });
  await root('POST', '/v1/spaces', { name: 'acme-onboarding', ...WORDS });
  await root('POST', '/v1/spaces', { name: 'personal-assistant', ...WORDS });
  const agent = await root<{ key: string }>('POST', '/v1/keys', { name: 'support-agent', grants: [{ space: 'support-desk', role: 'write' }] });
  await root('POST', '/v1/keys', { name: 'analytics-reader', grants: [{ prefix: 'research', role: 'read' }] });
  await root('POST', '/v1/keys', { name: 'onboarding-admin', grants: [{ space: 'acme-onboarding', role: 'admin' }] });
  const asAgent = caller(server, agent.key);
  const support = await asAgent<{ memories: { id: string }[] }>('POST', '/v1/spaces/support-desk/memories/batch', { memories: SUPPORT });
  await root('POST', '/v1/spaces/research-notes/memories/batch', { memories: RESEARCH });
  await root('POST', '/v1/spaces/acme-onboarding/memories/batch', { memories: ONBOARDING });
  await root('POST', '/v1/spaces/personal-assistant/memories', { content: 'Dentist appointment on Tuesday at 9:30', tags: ['calendar'] });
  const ids = support.memories.map((m) => m.id);
  // Samples between the steps below, for the space page's last-hour sparklines (the server takes one a minute).
  const sample = (): Promise<void> => server.ms.health.sampler.sample();
  await sample();
  await asAgent('POST', '/v1/spaces/support-desk/relations', { from: ids[4], to: ids[3], type: 'resolves' });
  await sample();
  await asAgent('POST', '/v1/spaces/support-desk/relations', { from: ids[3], to: ids[11], type: 'see_also' });
  await asAgent('POST', '/v1/spaces/support-desk/relations', { from: ids[0], to: ids[12], type: 'contact_of' });
  // The importance first: the memory page compares the last two versions, which then differ in content.
  await root('PATCH', `/v1/spaces/support-desk/memories/${ids[3]}`, { importance: 0.7 });
  await sample();
  await asAgent('PATCH', `/v1/spaces/support-desk/memories/${ids[3]}`, {
    content: 'Globex reported slow exports from the EU region on 12 November (resolved 13 November)',
    tags: ['incident', 'globex', 'resolved'],
    metadata: { customer: 'globex', region: 'eu-west', ticket: 'SUP-4411', status: 'resolved' },
  });
  await sample();
  await root('POST', '/v1/spaces/support-desk/shares', { to: 'research-notes', tags: ['billing'] });
  await asAgent('POST', '/v1/spaces/support-desk/search', { query: 'refund approval', limit: 5 });
  await root('DELETE', `/v1/spaces/support-desk/memories/${ids[8]}`);
  await sample();
  return { memory: ids[3]! };
}

/** The pages, by name and path. */
function pages(memory: string): { name: string; path: string }[] {
  const space = '/console/spaces/support-desk';
  return [
    { name: 'spaces', path: '/console/spaces' },
    { name: 'space', path: space },
    { name: 'memories', path: `${space}/memories` },
    { name: 'memory', path: `${space}/memories/${memory}` },
    { name: 'search', path: `${space}/search?q=${encodeURIComponent('refund invoice billing')}&compare=1&b.mode=keyword` },
    { name: 'audit', path: `${space}/audit` },
    { name: 'live', path: `${space}/live` },
    { name: 'shares', path: `${space}/shares` },
    { name: 'keys', path: '/console/keys' },
    { name: 'operators', path: '/console/operators' },
  ];
}

/** What a page shows only once something happens: the audit chain verified, live events arriving. */
async function exercise(page: Page, name: string, server: ConsoleServer): Promise<void> {
  if (name === 'audit') {
    const verify = page.getByRole('button', { name: 'Verify chain' });
    if ((await verify.count()) === 0) return;
    await verify.click();
    await page.waitForTimeout(800);
  }
  if (name === 'live') {
    await page.waitForTimeout(500);
    const root = caller(server, server.rootKey);
    await root('POST', '/v1/spaces/support-desk/memories', { content: 'Acme asked to move the renewal call to Thursday', tags: ['acme', 'sales'], userId: 'acme' });
    await root('POST', '/v1/spaces/support-desk/memories', { content: 'Initech signed the SSO addendum', tags: ['initech', 'sso'], userId: 'initech' });
    await page.waitForTimeout(1500);
  }
}

async function shoot(browser: Browser, server: ConsoleServer, memory: string, width: 'desktop' | 'phone'): Promise<string[]> {
  const problems: string[] = [];
  const { context, page, errors } = await openPage(browser, width);
  await page.goto(`${server.url}/console/`);
  await page.waitForSelector('#key');
  await page.screenshot({ path: join(OUT, `sign-in-${width}.png`), fullPage: width === 'desktop' });
  await signIn(page, server, server.rootKey);
  for (const p of pages(memory)) {
    errors.length = 0;
    await page.goto(`${server.url}${p.path}`);
    await waitReady(page).catch(() => problems.push(`${p.name} (${width}): never ready`));
    await exercise(page, p.name, server);
    await page.screenshot({ path: join(OUT, `${p.name}-${width}.png`), fullPage: width === 'desktop' });
    const [scroll, inner] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
    if (scroll > inner) problems.push(`${p.name} (${width}): ${scroll} px wide in a ${inner} px window`);
    problems.push(...errors.map((e) => `${p.name} (${width}): ${e}`));
  }
  await context.close();
  return problems;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await buildConsole();
  const server = await startConsoleServer();
  let browser: Browser | undefined;
  try {
    const { memory } = await seed(server);
    browser = await launchBrowser();
    const problems = [...(await shoot(browser, server, memory, 'desktop')), ...(await shoot(browser, server, memory, 'phone'))];
    process.stdout.write(`wrote ${pages(memory).length + 1} pages at two widths to ${OUT}\n`);
    for (const p of problems) process.stdout.write(`problem: ${p}\n`);
  } finally {
    await browser?.close();
    await server.close();
  }
}

await main();
