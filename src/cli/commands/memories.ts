import { Option, type Command } from 'commander';
import type { MemoryListQuery, SearchInput } from '../../client/types.js';
import type { Memory, SearchHit } from '../../core/views.js';
import { MemspaceError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';
import { stdinText } from '../line-input.js';
import { fields, nextPageHint, table } from '../format.js';
import { definedOnly } from '../../core/defined.js';
import { collect, metadataOption, nonEmpty, optionalJson, parseJsonOption, scopeFields, toInt, toNumber, type ScopeFlags } from '../options.js';

// Search sits among the memory commands, not in a file of its own, because commander lists
// commands in the order they are added and `memspace --help` has always shown it after `list`.

/** Registers the commands on a space's memories: `add`, `get`, `list`, `search`, `delete`, `history`. */
export function registerMemories(program: Command, ctx: CliContext): void {
  addCommand(program, ctx);
  ctx
    .apiCommand(program, 'get <space> <id>', 'show a memory')
    .action(async (space: string, id: string) => {
      const m = await ctx.backend().memories.get(space, id);
      ctx.print(m, () => memoryFields(m));
    });
  listCommand(program, ctx);
  searchCommand(program, ctx);
  deleteCommand(program, ctx);
  ctx
    .apiCommand(program, 'history <space> <id>', "a memory's history, oldest first")
    .action(async (space: string, id: string) => {
      const entries = await ctx.backend().memories.history(space, id);
      ctx.print(entries, () =>
        table(
          ['AT', 'ACTION', 'OLD', 'NEW'],
          entries.map((h) => [h.at, h.action, h.oldContent, h.newContent]),
          40,
        ),
      );
    });
}

function addCommand(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'add <space> <text>', 'add a memory; TEXT - reads it from stdin')
    .option('--meta <key=value>', 'metadata (repeatable; values parse as JSON when they can)', collect, [])
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .option('--user <id>')
    .option('--agent <id>')
    .option('--run <id>')
    .option('--kind <kind>', 'fact, episode, document, ...')
    .option('--importance <x>', 'between 0 and 1', toNumber)
    .option('--id <id>', 'choose the id instead of a generated UUIDv7')
    .option('--embedding <json>', 'a JSON array of numbers to use instead of the embedder')
    .action(async (space: string, text: string, o: ScopeFlags & { meta: string[]; tag: string[]; kind?: string; importance?: number; id?: string; embedding?: string }) => {
      const input = {
        content: text === '-' ? await stdinText(ctx.io.stdin) : text,
        metadata: metadataOption(o.meta),
        tags: o.tag,
        ...scopeFields(o),
        ...definedOnly({ kind: o.kind, importance: o.importance, id: o.id, embedding: optionalJson(o.embedding, '--embedding') as number[] | undefined }),
      };
      const remote = await ctx.remote();
      const memory = remote === undefined ? await ctx.backend().memories.add(space, input) : await remote.memories.add(input, { space });
      ctx.print(memory, () => `${memory.id}\n`);
    });
}

function listCommand(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'list <space>', 'list memories, newest first')
    .option('--user <id>')
    .option('--agent <id>')
    .option('--run <id>')
    .option('--tag <tag>', 'memories with any of these tags (repeatable)', collect, [])
    .option('--filter <json>', 'a filter, e.g. \'{"metadata.topic":{"eq":"x"}}\'')
    .option('--limit <n>', 'most memories to show', toInt, 20)
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--include-superseded', 'also list memories a newer one superseded (consolidation)')
    .action(async (space: string, o: ScopeFlags & { tag: string[]; filter?: string; limit: number; cursor?: string; includeSuperseded?: boolean }) => {
      const page = await ctx.backend().memories.list(space, {
        ...scopeFields(o),
        ...definedOnly({ tags: nonEmpty(o.tag) as string[] | undefined, filter: optionalJson(o.filter, '--filter') as MemoryListQuery['filter'], limit: o.limit, cursor: o.cursor, includeSuperseded: o.includeSuperseded }),
      });
      ctx.print(page, () => memoryTable(page.items) + nextPageHint(page.nextCursor));
    });
}

function searchCommand(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'search <space> <query>', 'search memories by meaning and keywords')
    .option('--limit <n>', 'most results', toInt, 10)
    .addOption(new Option('--mode <mode>').choices(['hybrid', 'vector', 'keyword']).default('hybrid'))
    .option('--threshold <x>', 'lowest score to return', toNumber)
    .option('--user <id>')
    .option('--agent <id>')
    .option('--run <id>')
    .option('--tag <tag>', 'only memories with any of these tags (repeatable)', collect, [])
    .option('--filter <json>', 'a filter, e.g. \'{"metadata.topic":{"eq":"x"}}\'')
    .option('--expand', 'attach memories one relation away')
    .option('--exact', "scan every vector instead of the space's HNSW index")
    .option('--include-superseded', 'also find memories a newer one superseded (consolidation)')
    .option('--rerank', 'reorder the candidates with the configured reranker (MEMSPACE_RERANK_BASE_URL)')
    .option('--no-neighbors', 'do not lift the memories written just before and after the best hits in their run')
    .option('--no-dates', 'do not favour memories dated in a time the query names ("in May 2023", "last week")')
    .action(async (space: string, query: string, o: SearchFlags) => {
      const request = {
        query,
        limit: o.limit,
        mode: o.mode as SearchInput['mode'],
        ...scopeFields(o),
        ...definedOnly({ threshold: o.threshold, tags: nonEmpty(o.tag) as string[] | undefined, filter: optionalJson(o.filter, '--filter') as SearchInput['filter'] }),
        expand: o.expand === true,
        exact: o.exact === true,
        ...(o.includeSuperseded === true && { includeSuperseded: true }),
        ...(o.rerank === true && { rerank: true }),
        // Commander's --no-X gives X true unless turned off; only a turned-off signal is sent.
        ...(!o.neighbors && { neighbors: false }),
        ...(!o.dates && { dates: false }),
      };
      const remote = await ctx.remote();
      const results = remote === undefined ? await ctx.backend().memories.search(space, request) : await remote.search(request, { space });
      ctx.print({ results }, () => searchTable(results));
    });
}

/** The flags of `search`. */
interface SearchFlags extends ScopeFlags {
  limit: number;
  mode: string;
  threshold?: number;
  tag: string[];
  filter?: string;
  expand?: boolean;
  exact?: boolean;
  includeSuperseded?: boolean;
  rerank?: boolean;
  neighbors: boolean;
  dates: boolean;
}

function deleteCommand(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'delete <space> [id]', 'delete a memory by id, or every memory matching --filter')
    .option('--filter <json>', 'delete every match (no cap), e.g. \'{"userId":{"eq":"alice"}}\'')
    .action(async (space: string, id: string | undefined, o: { filter?: string }) => {
      const backend = ctx.backend();
      if ((id === undefined) === (o.filter === undefined)) {
        throw new MemspaceError('VALIDATION_FAILED', 'give either an id or --filter', { issues: [{ path: 'id', message: 'id or --filter' }] });
      }
      if (id !== undefined) {
        await backend.memories.delete(space, id);
        ctx.print({ deleted: 1 }, () => `deleted ${id}\n`);
      } else {
        const result = await backend.memories.deleteMatching(space, parseJsonOption(o.filter!, '--filter'));
        ctx.print(result, () => `deleted ${result.deleted} memories\n`);
      }
    });
}

function memoryFields(m: Memory): string {
  return fields([
    ['id', m.id],
    ['content', m.content],
    ['kind', m.kind],
    ['tags', m.tags],
    ['metadata', m.metadata],
    ['user', m.userId ?? '-'],
    ['agent', m.agentId ?? '-'],
    ['run', m.runId ?? '-'],
    ['importance', String(m.importance)],
    ['created', m.createdAt],
    ['updated', m.updatedAt],
    ['expires', m.expiresAt ?? 'never'],
  ]);
}

function memoryTable(items: readonly Memory[]): string {
  return table(
    ['ID', 'CONTENT', 'TAGS', 'USER', 'CREATED'],
    items.map((m) => [m.id, m.content, m.tags.join(','), m.userId, m.createdAt]),
  );
}

function searchTable(results: readonly SearchHit[]): string {
  return table(
    ['#', 'SCORE', 'ID', 'CONTENT'],
    results.map((r, i) => [i + 1, r.score.toFixed(3), r.memory.id, r.memory.content]),
  );
}
