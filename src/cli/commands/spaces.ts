import { Option, type Command } from 'commander';
import type { ConsolidationSettings, VectorIndexStatus } from '../../core/types.js';
import type { SpaceInfo } from '../../core/views.js';
import type { SpaceCreateInput, SpacePatchInput } from '../../client/types.js';
import type { CliContext } from '../cli-context.js';
import { fields, nextPageHint, table } from '../format.js';
import { splitCommands } from './split.js';
import { definedOnly } from '../../core/defined.js';
import { collect, labelsOption, optionalJson, quotaFields, toInt, toNumber, type QuotaFlags } from '../options.js';

/** Registers `spaces create|list|info|set|archive|restore|delete|split|merge`. */
export function registerSpaces(program: Command, ctx: CliContext): void {
  const spaces = ctx.command(program, 'spaces', 'create, list, inspect and delete spaces');
  createCommand(spaces, ctx);
  listCommand(spaces, ctx);
  infoCommand(spaces, ctx);
  setCommand(spaces, ctx);
  lifecycleCommands(spaces, ctx);
  splitCommands(spaces, ctx);
  ctx
    .apiCommand(spaces, 'delete <name>', 'delete a space and every byte of it')
    .action(async (name: string) => {
      await ctx.backend().spaces.delete(name);
      ctx.print({ deleted: name }, () => `deleted space ${name}\n`);
    });
}

interface CreateOptions extends QuotaFlags {
  description?: string;
  isolation?: string;
  sensitivity?: string;
  retentionDays?: number;
  label: string[];
  embedder?: string;
  dimension?: number;
  project?: string;
  encryption?: boolean;
  consolidation?: string;
  feedback?: string;
}

const FEEDBACK_HELP = 'feedback settings as JSON, e.g. \'{"rank":{"feedback":0.3,"narrative":0.2}}\' for searches to weigh it (docs/feedback.md)';
const CONSOLIDATION_HELP = 'consolidation settings as JSON, e.g. \'{"enabled":true,"intervalMinutes":60}\' (docs/consolidation.md)';

function createCommand(spaces: Command, ctx: CliContext): void {
  ctx
    .apiCommand(spaces, 'create <name>', 'create a space')
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
    .option('--project <name>', 'the project the space joins (it inherits what is not set here)')
    .option('--encryption', 'encrypt the space at rest with a key of its own (needs MEMSPACE_MASTER_KEY)')
    .option('--consolidation <json>', CONSOLIDATION_HELP)
    .option('--feedback <json>', FEEDBACK_HELP)
    .action(async (name: string, o: CreateOptions) => {
      const { description, isolation, sensitivity, retentionDays, embedder, dimension, project, encryption } = o;
      const quotas = quotaFields(o);
      const space = await ctx.backend().spaces.create({
        // Quotas not given are the project's (or none), so an empty object is not sent.
        ...(Object.keys(quotas).length > 0 && { quotas }),
        name,
        ...definedOnly({ description, isolation, sensitivity, retentionDays, embedder, dimension, project, encryption }),
        ...definedOnly({ consolidation: optionalJson(o.consolidation, '--consolidation'), feedback: optionalJson(o.feedback, '--feedback') }),
        labels: labelsOption(o.label),
        // The choices and JSON are the engine's (or server's) to check, as on every other way in.
      } as SpaceCreateInput);
      ctx.print(space, () => `created space ${space.name} (embedder ${space.embedder}, ${space.dimension} dimensions, isolation ${space.isolation})\n`);
    });
}

function listCommand(spaces: Command, ctx: CliContext): void {
  ctx
    .apiCommand(spaces, 'list', 'list spaces')
    .option('--prefix <prefix>')
    .option('--limit <n>', 'most spaces to show', toInt, 100)
    .option('--cursor <name>', 'continue after this space')
    .action(async (o: { prefix?: string; limit: number; cursor?: string }) => {
      const remote = await ctx.remote();
      const page = remote === undefined ? await ctx.backend().spaces.list(o) : await remote.spaces.list(o);
      ctx.print(page, () =>
        table(
          ['NAME', 'STATE', 'EMBEDDER', 'DIMS', 'ISOLATION', 'SENSITIVITY', 'CREATED'],
          page.items.map((s) => [s.name, s.state, s.embedder, s.dimension, s.isolation, s.sensitivity, s.createdAt]),
        ) + nextPageHint(page.nextCursor),
      );
    });
}

function infoCommand(spaces: Command, ctx: CliContext): void {
  ctx
    .apiCommand(spaces, 'info <name>', "a space's settings and figures")
    .action(async (name: string) => {
      const s = await ctx.backend().spaces.get(name);
      ctx.print(s, () => spaceFields(s));
    });
}

function setCommand(spaces: Command, ctx: CliContext): void {
  ctx
    .apiCommand(spaces, 'set <name>', "change a space's retention, quotas, consolidation or feedback settings (0 removes a quota or the retention)")
    .option('--retention-days <n>', 'hard-delete memories older than this', toInt)
    .option('--max-memories <n>', 'quota: most memories', toInt)
    .option('--max-bytes <n>', 'quota: most payload bytes', toInt)
    .option('--max-rps <n>', 'quota: most requests per second', toNumber)
    .option('--description <text>')
    .option('--consolidation <json>', `${CONSOLIDATION_HELP}; the settings given change, the others stay`)
    .option('--feedback <json>', `${FEEDBACK_HELP}; the settings given change, the others stay`)
    .action(async (name: string, o: QuotaFlags & { retentionDays?: number; description?: string; consolidation?: string; feedback?: string }) => {
      const quotas = quotaFields(o);
      const update = definedOnly({
        description: o.description,
        consolidation: optionalJson(o.consolidation, '--consolidation'),
        feedback: optionalJson(o.feedback, '--feedback'),
        retentionDays: o.retentionDays === 0 ? null : o.retentionDays,
        quotas: Object.keys(quotas).length > 0 ? quotas : undefined,
      });
      const space = await ctx.backend().spaces.update(name, update as SpacePatchInput);
      ctx.print(space, () => `updated space ${space.name}: retention ${space.retentionDays ?? 'none'}, quotas ${JSON.stringify(space.quotas)}\n`);
    });
}

/** `archive` and `restore`, the two halves of a space's trip to cold storage. */
function lifecycleCommands(spaces: Command, ctx: CliContext): void {
  ctx
    .apiCommand(spaces, 'archive <name>', 'move a space into one compressed file under archive/ (requests get SPACE_ARCHIVED until restored)')
    .action(async (name: string) => {
      const result = await ctx.backend().spaces.archive(name);
      ctx.print(result, () => `archived space ${result.space.name} (${result.archiveBytes} bytes)\n`);
    });
  ctx
    .apiCommand(spaces, 'restore <name>', 'bring an archived space back')
    .action(async (name: string) => {
      const space = await ctx.backend().spaces.restore(name);
      ctx.print(space, () => `restored space ${space.name}\n`);
    });
}

function spaceFields(s: SpaceInfo): string {
  return fields([
    ['name', s.name],
    ...(s.project === null ? [] : ([['project', `${s.project}${s.inherited.length > 0 ? ` (inherits ${s.inherited.join(', ')})` : ''}`]] as const)),
    ['description', s.description],
    ['embedder', `${s.embedder} (${s.dimension} dimensions)`],
    ['isolation', s.isolation],
    ['sensitivity', s.sensitivity],
    ['encryption', s.encryption ? 'on' : 'off'],
    ['retention', s.retentionDays === null ? 'none' : `${s.retentionDays} days`],
    ['consolidation', consolidationLine(s.consolidation)],
    ['labels', s.labels],
    ['memories', String(s.stats.memories)],
    ['relations', String(s.stats.relations)],
    ['vector index', vectorIndexLine(s.stats.vectorIndex)],
    ['bytes on disk', String(s.stats.bytes)],
    ['last write', s.stats.lastWriteAt ?? 'never'],
    ['created', s.createdAt],
  ]);
}

/** One line on a space's consolidation settings for `spaces info`. */
function consolidationLine(c: ConsolidationSettings): string {
  const schedule = c.enabled ? `every ${c.intervalMinutes} minutes` : 'on request';
  const floor = c.importanceFloor === null ? 'no importance floor' : `importance floor ${c.importanceFloor}`;
  const summaries = c.summarizeAfterDays === null ? 'no summaries' : `summaries after ${c.summarizeAfterDays} days`;
  return `${schedule}; duplicates at cosine ≥ ${c.minCosine}, overlap ≥ ${c.minOverlap}; half-life ${c.halfLifeDays} days, ${floor}; ${summaries}`;
}

/** One line on a space's HNSW index for `spaces info`. */
function vectorIndexLine(v: VectorIndexStatus): string {
  if (v.threshold === null) return 'off (exact scan)';
  const from = `HNSW from ${v.threshold} memories`;
  if (v.state === 'none') return `${from}; exact scan until then`;
  return `${from}; ${v.state}, ${v.indexed} indexed, ${v.lag} changed since${v.error === undefined ? '' : ` (${v.error})`}`;
}
