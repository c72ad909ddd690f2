import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { migrateSpaces } from '../engine/space-migration.js';
import { MemspaceError, toMemspaceError } from '../core/errors.js';
import type { Grant } from '../core/grants.js';
import type { AuditEntry, Memory, SearchHit } from '../core/views.js';
import type { VectorIndexStatus } from '../core/types.js';
import { LOCAL_PRINCIPAL } from '../engine/access.js';
import { runEvaluation, type EvaluationResult } from '../eval/run-eval.js';
import { openMemspace, type Memspace } from '../memspace.js';
import { serve } from '../server/serve.js';
import { importMcpMemory } from '../mcp/mcp-memory-import.js';
import { serveStdio } from '../mcp/stdio.js';
import { fields, progressBar, table, type TextSink } from './format.js';
import { runStatus } from './status.js';

/** Where the CLI reads and writes; the process's streams, or buffers in tests. */
export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
}

/** Writes made from the command line are recorded in history as this actor. */
const CLI_ACTOR = { actor: 'cli' };

/** Exit codes: success, an error with a code, a usage error. */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2 } as const;

interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

/**
 * Runs the `memspace` command line and returns its exit code. Every failure is printed as
 * `error: CODE: message` on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let opened: Memspace | undefined;
  const open = async (options: GlobalOptions): Promise<Memspace> => {
    opened ??= await openMemspace(loadConfig({ dataDir: options.dataDir }, io.env));
    return opened;
  };
  const program = buildProgram(io, open);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const e = toMemspaceError(error);
    const message = e.code === 'INTERNAL' ? `${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}` : e.message;
    if (program.opts<GlobalOptions>().json === true) io.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
    else io.stderr.write(`error: ${e.code}: ${message}\n`);
    for (const issue of (e.details?.['issues'] as { path: string; message: string }[] | undefined) ?? []) {
      if (program.opts<GlobalOptions>().json !== true) io.stderr.write(`  ${issue.path}: ${issue.message}\n`);
    }
    return EXIT.ERROR;
  } finally {
    await opened?.close();
  }
}

function buildProgram(io: CliIO, open: (options: GlobalOptions) => Promise<Memspace>): Command {
  const program = new Command('memspace')
    .description('Isolated memory spaces for AI agents: store memories, search them by meaning and keywords.')
    .option('--data-dir <dir>', 'data directory (default: $MEMSPACE_DATA_DIR or ./memspace-data)')
    .option('--json', 'print JSON for scripts instead of tables')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const print = (json: unknown, human: () => string): void => {
    io.stdout.write(g().json === true ? `${JSON.stringify(json, null, 2)}\n` : human());
  };
  const sub = (parent: Command, name: string): Command =>
    parent.command(name).exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  // ---- server ---------------------------------------------------------------------------
  sub(program, 'serve')
    .description('run the HTTP API until SIGTERM or SIGINT (then finish requests in flight and close every space)')
    .option('--host <host>', 'address to listen on (default: $MEMSPACE_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default: $MEMSPACE_PORT or 7420)', toInt)
    .option('--no-auth', 'accept requests without API keys (loopback addresses only)')
    .addOption(new Option('--backend <backend>', 'where memories live (default: $MEMSPACE_BACKEND or sqlite)').choices(['sqlite', 'postgres']))
    .option('--pg-url <url>', 'PostgreSQL URL with pgvector, for --backend postgres (default: $MEMSPACE_PG_URL)')
    .option('--llm-base-url <url>', 'OpenAI-compatible chat endpoint for mem0-style fact extraction (default: $MEMSPACE_LLM_BASE_URL; key in $MEMSPACE_LLM_API_KEY)')
    .option('--llm-model <model>', 'chat model for fact extraction (default: $MEMSPACE_LLM_MODEL or gpt-4o-mini)')
    .action(async (o: { host?: string; port?: number; auth: boolean; backend?: 'sqlite' | 'postgres'; pgUrl?: string; llmBaseUrl?: string; llmModel?: string }) => {
      const config = loadConfig(
        { dataDir: g().dataDir, host: o.host, port: o.port, backend: o.backend, pgUrl: o.pgUrl, llmBaseUrl: o.llmBaseUrl, llmModel: o.llmModel, ...(o.auth === false && { auth: false }) },
        io.env,
      );
      const server = await serve(config, (key, given) => {
        io.stderr.write(given ? 'root key created from MEMSPACE_ROOT_KEY\n' : `root key, shown this once (store it now): ${key}\n`);
      });
      io.stderr.write(`memspace listening on ${server.url} (API docs: ${server.url}/docs)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          void server.close().then(resolve, resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
    });

  sub(program, 'status')
    .description('a table of spaces with their health figures, from a running server (--url) or straight from the data directory (opens no space)')
    .option('--space <name>', 'only this space')
    .option('--url <url>', 'a running memspace server, e.g. http://127.0.0.1:7420')
    .option('--key <key>', 'API key for --url')
    .action(async (o: { space?: string; url?: string; key?: string }) => {
      // Also read from the program, should --url and --key become global options.
      const remote = program.opts<{ url?: string; key?: string }>();
      await runStatus({ space: o.space, url: o.url ?? remote.url, key: o.key ?? remote.key, json: g().json === true }, io.stdout, () => open(g()));
    });

  // ---- keys -----------------------------------------------------------------------------
  const keys = sub(program, 'keys').description('API keys of the HTTP server');
  sub(keys, 'create')
    .description('create a key; it is printed once and stored only as a hash')
    .argument('<name>')
    .option('--grant <grant>', 'SPACE:ROLE or PREFIX*:ROLE, role read|write|admin (repeatable; "*:admin" is everything)', collect, [])
    .option('--default-space <space>', 'the space used when a request names none')
    .action(async (name: string, o: { grant: string[]; defaultSpace?: string }) => {
      const created = await (await open(g())).keys.create(
        { name, grants: o.grant.map(parseGrant), ...(o.defaultSpace !== undefined && { defaultSpace: o.defaultSpace }) },
        LOCAL_PRINCIPAL,
      );
      print(created, () => `${created.key}\n(key ${created.id}; shown this once, store it now)\n`);
    });
  sub(keys, 'list')
    .description('list keys (never their secrets)')
    .action(async () => {
      const items = await (await open(g())).keys.list(LOCAL_PRINCIPAL);
      print(items, () =>
        table(
          ['ID', 'NAME', 'GRANTS', 'DEFAULT SPACE', 'CREATED', 'REVOKED'],
          items.map((k) => [k.id, k.name, k.grants.map(formatGrant).join(' '), k.defaultSpace, k.createdAt, k.revokedAt]),
        ),
      );
    });
  sub(keys, 'revoke')
    .description('revoke a key at once')
    .argument('<id>')
    .action(async (id: string) => {
      await (await open(g())).keys.revoke(id, LOCAL_PRINCIPAL);
      print({ revoked: id }, () => `revoked key ${id}\n`);
    });

  // ---- spaces ---------------------------------------------------------------------------
  const spaces = sub(program, 'spaces').description('create, list, inspect and delete spaces');
  sub(spaces, 'create')
    .description('create a space')
    .argument('<name>')
    .option('--description <text>')
    .addOption(new Option('--isolation <level>').choices(['strict', 'shared', 'federated']))
    .addOption(new Option('--sensitivity <level>').choices(['low', 'medium', 'high', 'highest']))
    .option('--retention-days <n>', 'delete memories older than this', toInt)
    .option('--label <key=value>', 'a label (repeatable)', collect, [])
    .option('--embedder <id>', 'local:use-lite (default), none, or openai:<model>')
    .option('--dimension <n>', 'vector length, for embedder none or openai:<model>', toInt)
    .option('--max-memories <n>', 'quota: most memories the space may hold', toInt)
    .option('--max-bytes <n>', 'quota: most payload bytes (content, metadata, tags, vectors, contexts)', toInt)
    .option('--max-rps <n>', 'quota: most requests per second', toNumber)
    .action(async (name: string, o: Record<string, unknown>) => {
      const ms = await open(g());
      const space = await ms.service.createSpace({
        quotas: quotaOptions(o),
        name,
        ...(o['description'] !== undefined && { description: o['description'] }),
        ...(o['isolation'] !== undefined && { isolation: o['isolation'] }),
        ...(o['sensitivity'] !== undefined && { sensitivity: o['sensitivity'] }),
        ...(o['retentionDays'] !== undefined && { retentionDays: o['retentionDays'] }),
        ...(o['embedder'] !== undefined && { embedder: o['embedder'] }),
        ...(o['dimension'] !== undefined && { dimension: o['dimension'] }),
        labels: Object.fromEntries((o['label'] as string[]).map((kv) => splitPair(kv, 'label'))),
      });
      print(space, () => `created space ${space.name} (embedder ${space.embedder}, ${space.dimension} dimensions, isolation ${space.isolation})\n`);
    });
  sub(spaces, 'list')
    .description('list spaces')
    .option('--prefix <prefix>')
    .option('--limit <n>', 'most spaces to show', toInt, 100)
    .option('--cursor <name>', 'continue after this space')
    .action(async (o: { prefix?: string; limit: number; cursor?: string }) => {
      const page = await (await open(g())).service.listSpaces(o);
      print(page, () =>
        table(
          ['NAME', 'STATE', 'EMBEDDER', 'DIMS', 'ISOLATION', 'SENSITIVITY', 'CREATED'],
          page.items.map((s) => [s.name, s.state, s.embedder, s.dimension, s.isolation, s.sensitivity, s.createdAt]),
        ) + (page.nextCursor ? `next page: --cursor ${page.nextCursor}\n` : ''),
      );
    });
  sub(spaces, 'info')
    .description("a space's settings and figures")
    .argument('<name>')
    .action(async (name: string) => {
      const s = await (await open(g())).service.getSpace(name);
      print(s, () =>
        fields([
          ['name', s.name],
          ['description', s.description],
          ['embedder', `${s.embedder} (${s.dimension} dimensions)`],
          ['isolation', s.isolation],
          ['sensitivity', s.sensitivity],
          ['retention', s.retentionDays === null ? 'none' : `${s.retentionDays} days`],
          ['labels', s.labels],
          ['memories', String(s.stats.memories)],
          ['relations', String(s.stats.relations)],
          ['vector index', vectorIndexLine(s.stats.vectorIndex)],
          ['bytes on disk', String(s.stats.bytes)],
          ['last write', s.stats.lastWriteAt ?? 'never'],
          ['created', s.createdAt],
        ]),
      );
    });
  sub(spaces, 'set')
    .description("change a space's retention or quotas (0 removes a quota or the retention)")
    .argument('<name>')
    .option('--retention-days <n>', 'hard-delete memories older than this', toInt)
    .option('--max-memories <n>', 'quota: most memories', toInt)
    .option('--max-bytes <n>', 'quota: most payload bytes', toInt)
    .option('--max-rps <n>', 'quota: most requests per second', toNumber)
    .option('--description <text>')
    .action(async (name: string, o: Record<string, unknown>) => {
      const quotas = quotaOptions(o);
      const space = await (await open(g())).service.updateSpace(
        name,
        {
          ...(o['description'] !== undefined && { description: o['description'] }),
          ...(o['retentionDays'] !== undefined && { retentionDays: o['retentionDays'] === 0 ? null : o['retentionDays'] }),
          ...(Object.keys(quotas).length > 0 && { quotas }),
        },
        CLI_ACTOR,
      );
      print(space, () => `updated space ${space.name}: retention ${space.retentionDays ?? 'none'}, quotas ${JSON.stringify(space.quotas)}\n`);
    });
  sub(spaces, 'archive')
    .description('move a space into one compressed file under archive/ (requests get SPACE_ARCHIVED until restored)')
    .argument('<name>')
    .action(async (name: string) => {
      const result = await (await open(g())).lifecycle.archive(name, CLI_ACTOR);
      print(result, () => `archived space ${result.space.name} (${result.archiveBytes} bytes)\n`);
    });
  sub(spaces, 'restore')
    .description('bring an archived space back')
    .argument('<name>')
    .action(async (name: string) => {
      const space = await (await open(g())).lifecycle.restore(name, CLI_ACTOR);
      print(space, () => `restored space ${space.name}\n`);
    });
  sub(program, 'sweep')
    .description('hard-delete expired memories and those past their space\'s retention, in every space or one')
    .option('--space <name>', 'only this space')
    .action(async (o: { space?: string }) => {
      const ms = await open(g());
      if (o.space !== undefined) {
        const deleted = await ms.sweeper.sweepSpace(o.space);
        print({ spaces: 1, deleted, failed: [] }, () => `swept ${o.space}: ${deleted} memories deleted\n`);
        return;
      }
      const bar = progressBar(io.stderr, 'sweep');
      const report = await ms.sweeper.sweep({ onProgress: (r) => bar.update(r.spaces, null) });
      bar.done();
      print(report, () =>
        `swept ${report.spaces} spaces: ${report.deleted} memories deleted` +
        (report.failed.length > 0 ? `; not swept: ${report.failed.map((f) => `${f.space} (${f.code})`).join(', ')}` : '') +
        '\n',
      );
    });
  sub(program, 'migrate')
    .description('copy spaces between backends (a data directory or a postgres:// URL), verifying counts and a checksum per space; run again to resume')
    .requiredOption('--from <dir|url>', 'source: a data directory or postgres://...')
    .requiredOption('--to <dir|url>', 'target: a data directory or postgres://...')
    .option('--space <name>', 'only this space (repeatable; default: every space that is not archived)', collect, [])
    .action(async (o: { from: string; to: string; space: string[] }) => {
      const from = await openMemspace(locationConfig(o.from, io.env));
      try {
        const to = await openMemspace(locationConfig(o.to, io.env));
        try {
          const results = await migrateSpaces(from, to, {
            ...(o.space.length > 0 && { spaces: o.space }),
            onSpace: (r) => {
              if (g().json !== true) io.stdout.write(`${r.space}: ${r.outcome}, ${r.memories} memories, sha256 ${r.checksum.slice(0, 16)}\n`);
            },
          });
          if (g().json === true) io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
  sub(spaces, 'delete')
    .description('delete a space and every byte of it')
    .argument('<name>')
    .action(async (name: string) => {
      await (await open(g())).service.deleteSpace(name);
      print({ deleted: name }, () => `deleted space ${name}\n`);
    });

  // ---- memories -------------------------------------------------------------------------
  sub(program, 'add')
    .description('add a memory')
    .argument('<space>')
    .argument('<text>')
    .option('--meta <key=value>', 'metadata (repeatable; values parse as JSON when they can)', collect, [])
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .option('--user <id>')
    .option('--agent <id>')
    .option('--run <id>')
    .option('--kind <kind>', 'fact, episode, document, ...')
    .option('--importance <x>', 'between 0 and 1', toNumber)
    .option('--id <id>', 'choose the id instead of a generated UUIDv7')
    .option('--embedding <json>', 'a JSON array of numbers to use instead of the embedder')
    .action(async (space: string, text: string, o: Record<string, unknown>) => {
      const memory = await (await open(g())).service.addMemory(space, {
        content: text,
        metadata: Object.fromEntries((o['meta'] as string[]).map((kv) => parseMeta(kv))),
        tags: o['tag'],
        ...(o['user'] !== undefined && { userId: o['user'] }),
        ...(o['agent'] !== undefined && { agentId: o['agent'] }),
        ...(o['run'] !== undefined && { runId: o['run'] }),
        ...(o['kind'] !== undefined && { kind: o['kind'] }),
        ...(o['importance'] !== undefined && { importance: o['importance'] }),
        ...(o['id'] !== undefined && { id: o['id'] }),
        ...(o['embedding'] !== undefined && { embedding: parseJsonOption(o['embedding'] as string, '--embedding') }),
      }, CLI_ACTOR);
      print(memory, () => `${memory.id}\n`);
    });
  sub(program, 'get')
    .description('show a memory')
    .argument('<space>')
    .argument('<id>')
    .action(async (space: string, id: string) => {
      const m = await (await open(g())).service.getMemory(space, id);
      print(m, () => memoryFields(m));
    });
  sub(program, 'list')
    .description('list memories, newest first')
    .argument('<space>')
    .option('--user <id>')
    .option('--agent <id>')
    .option('--run <id>')
    .option('--tag <tag>', 'memories with any of these tags (repeatable)', collect, [])
    .option('--filter <json>', 'a filter, e.g. \'{"metadata.topic":{"eq":"x"}}\'')
    .option('--limit <n>', 'most memories to show', toInt, 20)
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (space: string, o: Record<string, unknown>) => {
      const page = await (await open(g())).service.listMemories(space, {
        ...scopes(o),
        ...((o['tag'] as string[]).length > 0 && { tags: o['tag'] }),
        ...(o['filter'] !== undefined && { filter: parseJsonOption(o['filter'] as string, '--filter') }),
        limit: o['limit'],
        ...(o['cursor'] !== undefined && { cursor: o['cursor'] }),
      });
      print(page, () => memoryTable(page.items) + (page.nextCursor ? `next page: --cursor ${page.nextCursor}\n` : ''));
    });
  sub(program, 'search')
    .description('search memories by meaning and keywords')
    .argument('<space>')
    .argument('<query>')
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
    .action(async (space: string, query: string, o: Record<string, unknown>) => {
      const { results } = await (await open(g())).service.search(space, {
        query,
        limit: o['limit'],
        mode: o['mode'],
        ...(o['threshold'] !== undefined && { threshold: o['threshold'] }),
        ...scopes(o),
        ...((o['tag'] as string[]).length > 0 && { tags: o['tag'] }),
        ...(o['filter'] !== undefined && { filter: parseJsonOption(o['filter'] as string, '--filter') }),
        expand: o['expand'] === true,
        exact: o['exact'] === true,
      });
      print({ results }, () => searchTable(results));
    });
  sub(program, 'delete')
    .description('delete a memory by id, or every memory matching --filter')
    .argument('<space>')
    .argument('[id]')
    .option('--filter <json>', 'delete every match (no cap), e.g. \'{"userId":{"eq":"alice"}}\'')
    .action(async (space: string, id: string | undefined, o: { filter?: string }) => {
      const ms = await open(g());
      if ((id === undefined) === (o.filter === undefined)) {
        throw new MemspaceError('VALIDATION_FAILED', 'give either an id or --filter', { issues: [{ path: 'id', message: 'id or --filter' }] });
      }
      if (id !== undefined) {
        await ms.service.deleteMemory(space, id, CLI_ACTOR);
        print({ deleted: 1 }, () => `deleted ${id}\n`);
      } else {
        const result = await ms.service.deleteMemories(space, parseJsonOption(o.filter!, '--filter'), CLI_ACTOR);
        print(result, () => `deleted ${result.deleted} memories\n`);
      }
    });
  sub(program, 'history')
    .description("a memory's history, oldest first")
    .argument('<space>')
    .argument('<id>')
    .action(async (space: string, id: string) => {
      const entries = await (await open(g())).service.history(space, id);
      print(entries, () =>
        table(
          ['AT', 'ACTION', 'OLD', 'NEW'],
          entries.map((h) => [h.at, h.action, h.oldContent, h.newContent]),
          40,
        ),
      );
    });

  // ---- relations ------------------------------------------------------------------------
  sub(program, 'relate')
    .description('add a typed, directed relation between two memories of a space')
    .argument('<space>')
    .argument('<from>')
    .argument('<to>')
    .argument('<type>')
    .option('--weight <x>', 'edge weight', toNumber)
    .action(async (space: string, from: string, to: string, type: string, o: { weight?: number }) => {
      const r = await (await open(g())).service.addRelation(space, { from, to, type, ...(o.weight !== undefined && { weight: o.weight }) }, CLI_ACTOR);
      print(r, () => `${r.id}\n`);
    });
  sub(program, 'relations')
    .description("a memory's relations")
    .argument('<space>')
    .argument('<id>')
    .addOption(new Option('--direction <d>').choices(['out', 'in', 'both']).default('both'))
    .option('--type <type>')
    .action(async (space: string, id: string, o: { direction: string; type?: string }) => {
      const rels = await (await open(g())).service.listRelations(space, id, o);
      print(rels, () => table(['ID', 'FROM', 'TYPE', 'TO', 'WEIGHT'], rels.map((r) => [r.id, r.from, r.type, r.to, r.weight])));
    });
  sub(program, 'unrelate')
    .description('delete a relation')
    .argument('<space>')
    .argument('<relation-id>')
    .action(async (space: string, relationId: string) => {
      await (await open(g())).service.deleteRelation(space, relationId, CLI_ACTOR);
      print({ deleted: relationId }, () => `deleted relation ${relationId}\n`);
    });

  // ---- export / import ------------------------------------------------------------------
  sub(program, 'export')
    .description('export a space as JSON Lines, embeddings included (to FILE or stdout)')
    .argument('<space>')
    .argument('[file]')
    .action(async (space: string, file: string | undefined) => {
      const ms = await open(g());
      const out = file === undefined || file === '-' ? undefined : createWriteStream(file, { flags: 'w' });
      const bar = progressBar(io.stderr, `export ${space}`);
      let count = 0;
      for await (const line of ms.transfer.exportSpace(space, (done, total) => bar.update(done, total))) {
        const text = `${JSON.stringify(line)}\n`;
        if (out === undefined) io.stdout.write(text);
        else if (!out.write(text)) await once(out, 'drain');
        if (line.type === 'memory') count += 1;
      }
      bar.done();
      if (out !== undefined) {
        out.end();
        await once(out, 'finish');
        print({ space, memories: count, file }, () => `exported ${count} memories of ${space} to ${file}\n`);
      }
    });
  sub(program, 'import')
    .description('import a JSON Lines export into a space (created if missing); existing ids are skipped')
    .argument('<space>')
    .argument('<file>', 'a file, or - for stdin')
    .action(async (space: string, file: string) => {
      const ms = await open(g());
      const input = file === '-' ? io.stdin : createReadStream(file);
      const lines = createInterface({ input, crlfDelay: Infinity });
      const bar = progressBar(io.stderr, `import ${space}`);
      try {
        const summary = await ms.transfer.importSpace(space, lines, (done, total) => bar.update(done, total));
        bar.done();
        print(summary, () =>
          `${summary.mode === 'restore' ? 'restored' : 'merged'} into ${space}: ` +
          (['memories', 'relations', 'contexts', 'history', 'audit'] as const)
            .map((part) => `${summary[part].imported} ${part}${summary[part].skipped > 0 ? ` (${summary[part].skipped} skipped)` : ''}`)
            .join(', ') +
          '\n',
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new MemspaceError('NOT_FOUND', `file ${file} not found`, { file });
        }
        throw error;
      } finally {
        lines.close();
      }
    });

  // ---- MCP ------------------------------------------------------------------------------
  sub(program, 'mcp')
    .description('serve one space to an MCP client over stdio (memory and knowledge-graph tools); stdout carries only the protocol')
    .option('--space <name>', 'the space to serve (default: $MEMSPACE_SPACE, else default)')
    .action(async (o: { space?: string }) => {
      const ms = await open(g());
      const server = await serveStdio(ms, {
        space: o.space ?? ms.config.space,
        stdin: io.stdin,
        stdout: io.stdout instanceof Writable ? io.stdout : textWritable(io.stdout),
        log: (line) => io.stderr.write(line),
      });
      io.stderr.write(`memspace MCP server on stdio, space ${server.space}\n`);
      const stop = (): void => void server.close();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await server.closed;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
  sub(program, 'import-mcp-memory')
    .description("import the reference MCP memory server's graph file (memory.jsonl) into a space (created if missing); running it again changes nothing")
    .argument('<space>')
    .argument('<file>', 'a file, or - for stdin')
    .action(async (space: string, file: string) => {
      const ms = await open(g());
      const lines = createInterface({ input: file === '-' ? io.stdin : createReadStream(file), crlfDelay: Infinity });
      try {
        const r = await importMcpMemory(ms, space, lines, CLI_ACTOR);
        print(r, () =>
          `imported into ${r.space}${r.createdSpace ? ' (created)' : ''}: ` +
          `${r.entities.created} entities (${r.entities.updated} existing ones gained observations, ${r.entities.unchanged} already present), ` +
          `${r.relations.created} relations (${r.relations.unchanged} already present)\n`,
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MemspaceError('NOT_FOUND', `file ${file} not found`, { file });
        throw error;
      } finally {
        lines.close();
      }
    });

  // ---- audit ----------------------------------------------------------------------------
  const audit = sub(program, 'audit')
    .description("a space's audit trail, oldest first; `audit verify SPACE` checks its hash chain")
    .argument('<space>')
    .option('--action <action>', 'only entries with this action, e.g. memory.delete')
    .option('--since <iso>', 'only entries at or after this time, e.g. 2026-01-01T00:00:00Z')
    .option('--limit <n>', 'most entries to show (default 100)', toInt)
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (space: string, o: { action?: string; since?: string; limit?: number; cursor?: string }) => {
      const page = await (await open(g())).service.audit(space, {
        ...(o.action !== undefined && { action: o.action }),
        ...(o.since !== undefined && { since: o.since }),
        ...(o.limit !== undefined && { limit: o.limit }),
        ...(o.cursor !== undefined && { cursor: o.cursor }),
      });
      print(page, () => auditTable(page.items) + (page.nextCursor ? `next page: --cursor ${page.nextCursor}\n` : ''));
    });
  sub(audit, 'verify')
    .description("recompute a space's audit hash chain; exits 1 naming the first entry at fault")
    .argument('<space>')
    .action(async (space: string) => {
      const result = await (await open(g())).service.verifyAudit(space);
      if (!result.ok) {
        // INTERNAL: the space's own stored data contradicts itself. Not the caller's input (4xx),
        // not transient (BACKEND_UNAVAILABLE invites a retry that can never succeed): an operator
        // must look. details carry the seq for scripts.
        throw new MemspaceError('INTERNAL', `audit chain of ${space} is broken at entry ${result.firstBadSeq}: ${result.reason}`, {
          space,
          firstBadSeq: result.firstBadSeq,
          reason: result.reason,
          entries: result.entries,
        });
      }
      print({ space, ...result }, () => `audit chain of ${space} is intact: ${result.entries} entries\n`);
    });

  // ---- evaluation -----------------------------------------------------------------------
  sub(program, 'eval')
    .description('measure search quality on a labelled JSON Lines set: recall@k, MRR and nDCG@10 per mode (in a temporary data directory unless --data-dir is given)')
    .argument('<file>', 'JSON Lines of {"type":"memory","id","content"} and {"type":"query","id","query","relevant":[ids]}')
    .option('--k <list>', 'cut-offs of recall@k, comma-separated', toIntList, [1, 5, 10])
    .option('--sweep', 'also try hybrid search at vector weights 0.1 to 0.9, with weighted and rrf fusion')
    .action(async (file: string, o: { k: number[]; sweep?: boolean }) => {
      const bars = { load: progressBar(io.stderr, 'eval: storing memories'), search: progressBar(io.stderr, 'eval: searching') };
      let phase: 'load' | 'search' = 'load';
      const result = await runEvaluation({
        file,
        ks: o.k,
        sweep: o.sweep === true,
        ...(g().dataDir !== undefined && { dataDir: g().dataDir }),
        env: io.env,
        onProgress: (next, done, total) => {
          if (next !== phase) bars[phase].done();
          phase = next;
          bars[next].update(done, total);
        },
      });
      bars[phase].done();
      const { rows, ...rest } = result;
      // Per-query ranks stay in the library result; the command prints the summary only.
      print({ ...rest, rows: rows.map(({ firstRelevantRank: _ranks, ...row }) => row) }, () => evalReport(result));
    });

  return program;
}

/** A stream over a text sink (tests hand the CLI plain objects), for code that needs a real Writable. */
function textWritable(sink: TextSink): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.write(chunk.toString('utf8'));
      done();
    },
  });
}

function evalReport(r: EvaluationResult): string {
  const figure = (x: number): string => x.toFixed(3);
  const out = table(
    ['MODE', 'FUSION', 'WEIGHT', ...r.ks.map((k) => `RECALL@${k}`), 'MRR', 'NDCG@10', 'QUERIES', 'MEMORIES'],
    r.rows.map((row) => [
      row.mode === 'hybrid' && !row.sweep ? 'hybrid (defaults)' : row.mode,
      row.fusion ?? '-',
      row.vectorWeight ?? '-',
      ...r.ks.map((k) => figure(row.metrics.recall[k] ?? 0)),
      figure(row.metrics.mrr),
      figure(row.metrics.ndcg10),
      row.metrics.queries,
      r.memories,
    ]),
  );
  const lines = [out];
  const swept = r.rows.filter((row) => row.sweep);
  if (swept.length > 0) {
    const best = swept.reduce((a, b) => (b.metrics.ndcg10 > a.metrics.ndcg10 ? b : a));
    const current = r.rows.find((row) => row.mode === 'hybrid' && !row.sweep);
    lines.push(
      `best hybrid by nDCG@10: ${best.fusion} ${best.vectorWeight} (${figure(best.metrics.ndcg10)})` +
        (current ? `; the defaults, ${current.fusion} ${current.vectorWeight}, give ${figure(current.metrics.ndcg10)}` : '') +
        '\n',
    );
  }
  const searches = r.rows.length * r.queries;
  lines.push(`${r.memories} memories stored in ${(r.timings.loadMs / 1000).toFixed(1)} s; ${searches} searches in ${(r.timings.searchMs / 1000).toFixed(1)} s\n`);
  return lines.join('');
}

function auditTable(items: readonly AuditEntry[]): string {
  return table(
    ['SEQ', 'AT', 'ACTOR', 'ACTION', 'IDS'],
    items.map((a) => [a.seq, a.at, a.actor, a.action, a.ids.length === 0 ? '' : a.ids.join(',')]),
  );
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

function scopes(o: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(o['user'] !== undefined && { userId: o['user'] }),
    ...(o['agent'] !== undefined && { agentId: o['agent'] }),
    ...(o['run'] !== undefined && { runId: o['run'] }),
  };
}

/** `acme.*:write` is a prefix grant, `acme.sales:read` an exact one, `*:admin` everything. */
function parseGrant(text: string): Record<string, string> {
  const at = text.lastIndexOf(':');
  if (at <= 0) throw new InvalidArgumentError(`a grant is SPACE:ROLE or PREFIX*:ROLE, got "${text}"`);
  const target = text.slice(0, at);
  const role = text.slice(at + 1);
  return target.endsWith('*') ? { prefix: target.slice(0, -1), role } : { space: target, role };
}

function formatGrant(grant: Grant): string {
  return 'space' in grant ? `${grant.space}:${grant.role}` : `${grant.prefix}*:${grant.role}`;
}

/** Configuration for a migration end: a `postgres://` URL selects that backend, anything else is a data directory. */
function locationConfig(location: string, env: NodeJS.ProcessEnv): Config {
  return /^postgres(ql)?:\/\//.test(location) ? loadConfig({ backend: 'postgres', pgUrl: location }, env) : loadConfig({ backend: 'sqlite', dataDir: location }, env);
}

/** Quota flags as a partial `quotas` object; 0 means no limit. */
function quotaOptions(o: Record<string, unknown>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [flag, quota] of [['maxMemories', 'maxMemories'], ['maxBytes', 'maxBytes'], ['maxRps', 'maxRequestsPerSecond']] as const) {
    const value = o[flag];
    if (typeof value === 'number') out[quota] = value === 0 ? null : value;
  }
  return out;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function toInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${value}`);
  return n;
}

/** `1,5,10`: positive integers, comma-separated. */
function toIntList(value: string): number[] {
  const items = value.split(',').map((part) => part.trim());
  if (items.some((part) => !/^[1-9][0-9]*$/.test(part))) throw new InvalidArgumentError(`not a comma-separated list of positive integers: ${value}`);
  return items.map(Number);
}

function toNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`not a number: ${value}`);
  return n;
}

function splitPair(kv: string, what: string): [string, string] {
  const at = kv.indexOf('=');
  if (at <= 0) throw new MemspaceError('VALIDATION_FAILED', `--${what} takes key=value, got "${kv}"`, { issues: [{ path: what, message: 'key=value' }] });
  return [kv.slice(0, at), kv.slice(at + 1)];
}

/** `--meta k=v`: the value is JSON when it parses (numbers, booleans, arrays), else a string. */
function parseMeta(kv: string): [string, unknown] {
  const [key, raw] = splitPair(kv, 'meta');
  try {
    return [key, JSON.parse(raw) as unknown];
  } catch {
    return [key, raw];
  }
}

function parseJsonOption(text: string, flag: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MemspaceError('VALIDATION_FAILED', `${flag} is not valid JSON`, { issues: [{ path: flag, message: 'not JSON' }] });
  }
}

/** One line on a space's HNSW index for `spaces info`. */
function vectorIndexLine(v: VectorIndexStatus): string {
  if (v.threshold === null) return 'off (exact scan)';
  const from = `HNSW from ${v.threshold} memories`;
  if (v.state === 'none') return `${from}; exact scan until then`;
  return `${from}; ${v.state}, ${v.indexed} indexed, ${v.lag} changed since${v.error === undefined ? '' : ` (${v.error})`}`;
}
