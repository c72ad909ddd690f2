/**
 * The load of the soak run: concurrent async workers, each looping over one kind of work until
 * the load ends, every write recorded in the ledger once the server acknowledges it.
 *
 * Writers keep to a window of a few "hot" data spaces that moves on every few seconds, so the
 * spaces it leaves go idle and are closed, and the open-space cap evicts others; searches
 * sometimes reach a cold space. Memories are changed (updated, deleted one by one or by a
 * filter) only by the mutator, so no two changes of one memory race; reads and searches of a
 * memory are judged only when no change overlapped them.
 */
import type { Answer, SoakHttp } from './soak-http.js';
import { sleep } from './soak-http.js';
import { contentHash, randomVector, randomWords, SOAK_DIMENSION, soakMemory, uniqueWord } from './soak-data.js';
import type { Ledger, Settlement, Tracked } from './soak-ledger.js';

/** Memories without expiry a data space holds at most; writers move to another space past it. */
export const DATA_SPACE_CAP = 1_500;
/** The same for the archived and restored spaces, kept small so archiving stays quick. */
export const ARCHIVE_SPACE_CAP = 600;
/** Past this share of its cap, the mutator deletes in a space instead of updating. */
const DELETE_ABOVE = 0.8;
/** Hot spaces at a time, and how often the window moves on by one. */
export const HOT_SPACES = 5;
const HOT_SHIFT_MS = 10_000;
/** Expiries of memories added with one: 5 to 30 s. */
const EXPIRY_MS = [5_000, 30_000] as const;

/** What the workers share. */
export interface LoadContext {
  http: SoakHttp;
  ledger: Ledger;
  /** Spaces the writers fill; archiveSpaces are archived and restored over and over. */
  dataSpaces: readonly string[];
  archiveSpaces: readonly string[];
  /** Epoch ms: the load starts (the window's clock) and ends. */
  startedAt: number;
  until: number;
  /** Epoch ms after which nothing is added with an expiry, so that all have expired at the end. */
  expiriesUntil: number;
  fail(message: string): void;
  /** A new memory or batch id, never used before in the run. */
  newId(prefix: string): string;
  /** Spaces created and deleted by the churn worker. */
  churn: { created: number; deleted: number };
}

/** The hot data spaces now. */
function hotSpaces(ctx: LoadContext): string[] {
  const shift = Math.floor((Date.now() - ctx.startedAt) / HOT_SHIFT_MS);
  return Array.from({ length: HOT_SPACES }, (_, k) => ctx.dataSpaces[(shift + k) % ctx.dataSpaces.length]!);
}

function pickOne<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

/**
 * How a write took effect, counted in the ledger: answered `ok`, or, after an attempt without
 * answer, one of `ownEffect` (`409 CONFLICT` for an add, say), which that attempt must then have
 * caused. Undefined, with a failure recorded, for any other answer.
 */
function tookEffect(ctx: LoadContext, op: string, answer: Answer, ok: string, ...ownEffect: string[]): Settlement | undefined {
  let settlement: Settlement | undefined;
  if (answer.attempts > 1 && ownEffect.includes(`${answer.status} ${answer.code}`)) settlement = 'earlier';
  else if (ctx.http.expect(op, answer, ok)) settlement = answer.attempts > 1 ? 'retried' : 'first';
  if (settlement !== undefined) ctx.ledger.settled(settlement);
  return settlement;
}

/** Single adds into a hot space under its cap; a quarter of them expire within 30 s. */
export async function adder(ctx: LoadContext, random: () => number): Promise<void> {
  while (Date.now() < ctx.until) {
    const open = hotSpaces(ctx).filter((s) => ctx.ledger.held(s) < DATA_SPACE_CAP);
    if (open.length === 0) {
      await sleep(50);
      continue;
    }
    const space = pickOne(open, random);
    const id = ctx.newId('m');
    const memory = soakMemory(id, 0);
    const expiresAt = Date.now() < ctx.expiriesUntil && random() < 0.25 ? Date.now() + EXPIRY_MS[0] + random() * (EXPIRY_MS[1] - EXPIRY_MS[0]) : undefined;
    const answer = await ctx.http.send('add', 'POST', `/v1/spaces/${space}/memories`, {
      ...memory,
      tags: ['soak', expiresAt === undefined ? 'kept' : 'expiring'],
      metadata: { writer: 'adder' },
      ...(expiresAt !== undefined && { expiresAt: new Date(expiresAt).toISOString() }),
    });
    if (tookEffect(ctx, 'add', answer, '201', '409 CONFLICT')) ctx.ledger.added(space, id, contentHash(memory.content), expiresAt === undefined ? {} : { expiresAt });
  }
}

/** Batches of 10 to 50 memories (all or nothing), each batch deletable by a filter on its id. */
export async function batcher(ctx: LoadContext, random: () => number): Promise<void> {
  while (Date.now() < ctx.until) {
    const open = hotSpaces(ctx).filter((s) => ctx.ledger.held(s) < DATA_SPACE_CAP - 50);
    if (open.length === 0) {
      await sleep(50);
      continue;
    }
    await addBatch(ctx, pickOne(open, random), 10 + Math.floor(random() * 41));
  }
}

/** Adds one batch of `size` memories to `space` and records it once acknowledged. */
async function addBatch(ctx: LoadContext, space: string, size: number): Promise<void> {
  const batch = ctx.newId('b');
  const memories = Array.from({ length: size }, (_, i) => soakMemory(`${batch}-${i}`, 0));
  const answer = await ctx.http.send('batch', 'POST', `/v1/spaces/${space}/memories/batch`, {
    memories: memories.map((m) => ({ ...m, tags: ['soak', 'kept'], metadata: { batch } })),
  });
  if (!tookEffect(ctx, 'batch', answer, '201', '409 CONFLICT')) return;
  for (const m of memories) ctx.ledger.added(space, m.id, contentHash(m.content), { batch });
}

const MODES = ['vector', 'keyword', 'hybrid'] as const;

/**
 * Searches in every mode, in turn. Half are probes for one known memory (its vector, its unique
 * word, or both), which must come first; half are ordinary queries, some with a filter, some
 * fused by reciprocal rank. Most go to hot spaces, some to any data space (a cold open).
 */
export async function searcher(ctx: LoadContext, random: () => number): Promise<void> {
  for (let turn = 0; Date.now() < ctx.until; turn++) {
    const mode = MODES[turn % MODES.length]!;
    const space = random() < 0.95 ? pickOne(hotSpaces(ctx), random) : pickOne(ctx.dataSpaces, random);
    const probe = random() < 0.5 ? ctx.ledger.pick(space, random) : undefined;
    const op = `search ${mode}`;
    if (probe === undefined) {
      const answer = await ctx.http.send(op, 'POST', `/v1/spaces/${space}/search`, {
        mode,
        limit: 10,
        ...(mode !== 'keyword' && { embedding: randomVector(random) }),
        ...(mode !== 'vector' && { query: randomWords(random) }),
        ...(random() < 0.3 && { filter: { tags: { contains: 'kept' } } }),
        ...(mode === 'hybrid' && random() < 0.5 && { fusion: 'rrf' }),
      });
      ctx.http.expect(op, answer, '200');
      continue;
    }
    const { version, revision } = probe;
    const memory = soakMemory(probe.id, revision);
    const answer = await ctx.http.send(op, 'POST', `/v1/spaces/${space}/search`, {
      mode,
      limit: 5,
      ...(mode !== 'keyword' && { embedding: memory.embedding }),
      ...(mode !== 'vector' && { query: uniqueWord(probe.id) }),
    });
    // A search answers 200 whatever changed meanwhile; what it found is judged only if nothing did.
    if (!ctx.http.expect(op, answer, '200') || !untouched(probe, version)) continue;
    const first = (answer.body as { results: { memory: { id: string } }[] }).results[0]?.memory.id;
    if (first !== probe.id) ctx.fail(`${op} in ${space} for ${probe.id} (acknowledged revision ${revision}) found ${first ?? 'nothing'} first`);
  }
}

/** Whether no change of `m` started since `version` was read, nor is in flight. */
function untouched(m: Tracked, version: number): boolean {
  return !m.busy && !m.deleted && m.version === version;
}

/** Reads a known memory back (its content must be the last acknowledged), or lists a page. */
export async function reader(ctx: LoadContext, random: () => number): Promise<void> {
  while (Date.now() < ctx.until) {
    const space = pickOne(hotSpaces(ctx), random);
    const m = random() < 0.7 ? ctx.ledger.pick(space, random) : undefined;
    if (m === undefined) {
      ctx.http.expect('list', await ctx.http.send('list', 'GET', `/v1/spaces/${space}/memories?limit=100`), '200');
      continue;
    }
    const { version } = m;
    const answer = await ctx.http.send('get', 'GET', `/v1/spaces/${space}/memories/${m.id}`);
    // A change that overlapped the read (a delete, say) makes any answer right.
    if (!untouched(m, version) || !ctx.http.expect('get', answer, '200')) continue;
    const hash = contentHash((answer.body as { content: string }).content);
    if (hash !== m.hash) ctx.fail(`get ${space}/${m.id}: content ${hash}, acknowledged revision ${m.revision} has ${m.hash}`);
  }
}

/**
 * Changes memories in the fullest hot space: while it is above 80% of its cap, mostly deletes
 * (a whole batch by a filter, or one memory), else mostly updates; a retention sweep by hand
 * now and then.
 */
export async function mutator(ctx: LoadContext, random: () => number): Promise<void> {
  let nextSweep = Date.now() + 15_000;
  while (Date.now() < ctx.until) {
    if (Date.now() > nextSweep) {
      nextSweep = Date.now() + 15_000;
      const space = pickOne(ctx.dataSpaces, random);
      ctx.http.expect('sweep', await ctx.http.send('sweep', 'POST', `/v1/spaces/${space}/sweep`), '200');
      continue;
    }
    const space = hotSpaces(ctx).reduce((a, b) => (ctx.ledger.held(b) > ctx.ledger.held(a) ? b : a));
    const full = ctx.ledger.held(space) > DATA_SPACE_CAP * DELETE_ABOVE;
    const dice = random();
    if (full && dice < 0.6 && (await deleteBatch(ctx, space, random))) continue;
    const m = ctx.ledger.pick(space, random);
    if (m === undefined) await sleep(50);
    else if (full ? dice < 0.75 : dice < 0.15) await deleteOne(ctx, m);
    else await update(ctx, m);
  }
}

/** Updates `m` to its next revision (new content, new vector). */
async function update(ctx: LoadContext, m: Tracked): Promise<void> {
  ctx.ledger.begin([m]);
  try {
    const revision = m.revision + 1;
    const memory = soakMemory(m.id, revision);
    const answer = await ctx.http.send('update', 'PATCH', `/v1/spaces/${m.space}/memories/${m.id}`, { content: memory.content, embedding: memory.embedding });
    m.updateAttempts += answer.attempts;
    if (tookEffect(ctx, 'update', answer, '200')) ctx.ledger.updated(m, revision, contentHash(memory.content));
  } finally {
    ctx.ledger.end([m]);
  }
}

/** Deletes `m`; `NOT_FOUND` after an attempt without answer means that attempt deleted it. */
async function deleteOne(ctx: LoadContext, m: Tracked): Promise<void> {
  ctx.ledger.begin([m]);
  try {
    const answer = await ctx.http.send('delete', 'DELETE', `/v1/spaces/${m.space}/memories/${m.id}`);
    if (tookEffect(ctx, 'delete', answer, '204', '404 NOT_FOUND')) ctx.ledger.deleted([m], 'one');
  } finally {
    ctx.ledger.end([m]);
  }
}

/** Deletes a random batch of `space` by a filter on its id; false when there is none to delete. */
async function deleteBatch(ctx: LoadContext, space: string, random: () => number): Promise<boolean> {
  const picked = ctx.ledger.pickBatch(space, random);
  if (picked === undefined) return false;
  const { batch, members } = picked;
  ctx.ledger.begin(members);
  try {
    const answer = await ctx.http.send('delete by filter', 'POST', `/v1/spaces/${space}/memories/delete`, { filter: { 'metadata.batch': { eq: batch } } });
    if (tookEffect(ctx, 'delete by filter', answer, '200') === undefined) return true;
    const deleted = (answer.body as { deleted: number }).deleted;
    // An attempt without answer may have deleted them all already (one transaction): the retry then finds none.
    if (deleted !== members.length && !(answer.attempts > 1 && deleted === 0)) ctx.fail(`delete by filter ${space} batch ${batch}: deleted ${deleted}, the ledger holds ${members.length} of it`);
    ctx.ledger.deleted(members, 'filter');
    return true;
  } finally {
    ctx.ledger.end(members);
  }
}

/**
 * Space churn: creates a space, fills it with one batch, searches and lists it, deletes it and
 * checks that it is gone. A create or delete retried after an attempt without answer may meet
 * its own effect (`CONFLICT`, `SPACE_NOT_FOUND`).
 */
export async function churner(ctx: LoadContext, random: () => number): Promise<void> {
  const { http } = ctx;
  while (Date.now() < ctx.until) {
    const name = ctx.newId('soak-churn-');
    const created = await http.send('space create', 'POST', '/v1/spaces', { name, embedder: 'none', dimension: SOAK_DIMENSION });
    if (!tookEffect(ctx, 'space create', created, '201', '409 CONFLICT')) continue;
    ctx.churn.created += 1;
    const memories = Array.from({ length: 10 }, (_, i) => soakMemory(`${name}-${i}`, 0));
    tookEffect(ctx, 'batch', await http.send('batch', 'POST', `/v1/spaces/${name}/memories/batch`, { memories }), '201', '409 CONFLICT');
    const found = await http.send('search vector', 'POST', `/v1/spaces/${name}/search`, { mode: 'vector', embedding: randomVector(random), limit: 20 });
    if (http.expect('search vector', found, '200') && (found.body as { results: unknown[] }).results.length !== 10) {
      ctx.fail(`churn space ${name}: a search found ${(found.body as { results: unknown[] }).results.length} of its 10 memories`);
    }
    const deleted = await http.send('space delete', 'DELETE', `/v1/spaces/${name}`);
    if (tookEffect(ctx, 'space delete', deleted, '204', '404 SPACE_NOT_FOUND')) ctx.churn.deleted += 1;
    http.expect('space get', await http.send('space get', 'GET', `/v1/spaces/${name}`), '404 SPACE_NOT_FOUND');
    await sleep(200);
  }
}

/**
 * Archive tiers: in turn for each archive space, adds a batch (deleting one by a filter past
 * the cap), archives the space, checks that requests are refused with `SPACE_ARCHIVED`, restores
 * it after a few seconds and reads a known memory back. A cycle, once begun, ends restored.
 */
export async function archiver(ctx: LoadContext, random: () => number): Promise<void> {
  const { http } = ctx;
  for (let turn = 0; Date.now() < ctx.until; turn++) {
    const space = ctx.archiveSpaces[turn % ctx.archiveSpaces.length]!;
    if (ctx.ledger.held(space) > ARCHIVE_SPACE_CAP) await deleteBatch(ctx, space, random);
    await addBatch(ctx, space, 25);
    const archived = await http.send('archive', 'POST', `/v1/spaces/${space}/archive`);
    if (!tookEffect(ctx, 'archive', archived, '200', '409 SPACE_ARCHIVED', '409 CONFLICT')) continue;
    http.expect('list archived', await http.send('list archived', 'GET', `/v1/spaces/${space}/memories?limit=1`), '409 SPACE_ARCHIVED');
    await sleep(1_000 + random() * 3_000);
    tookEffect(ctx, 'restore', await http.send('restore', 'POST', `/v1/spaces/${space}/restore`), '200', '409 CONFLICT');
    const m = ctx.ledger.pick(space, random);
    if (m !== undefined) {
      const answer = await http.send('get', 'GET', `/v1/spaces/${space}/memories/${m.id}`);
      if (http.expect('get', answer, '200') && contentHash((answer.body as { content: string }).content) !== m.hash) {
        ctx.fail(`get ${space}/${m.id} after restore: content differs from acknowledged revision ${m.revision}`);
      }
    }
    await sleep(1_000 + random() * 2_000);
  }
}
