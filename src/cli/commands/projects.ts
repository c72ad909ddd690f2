import { Option, type Command } from 'commander';
import { definedOnly } from '../../core/defined.js';
import type { ProjectInfo } from '../../core/views.js';
import type { ProjectCreateInput, ProjectPatchInput } from '../../client/types.js';
import type { CliContext } from '../cli-context.js';
import { fields, nextPageHint, table } from '../format.js';
import { collect, labelsOption, parseJsonOption, toInt } from '../options.js';

/** Registers `projects create|list|info|set|delete`. */
export function registerProjects(program: Command, ctx: CliContext): void {
  const projects = ctx.command(program, 'projects', 'create, list, inspect, change and delete projects (groups of spaces)');
  ctx
    .apiCommand(projects, 'create <name>', 'create a project')
    .option('--description <text>')
    .option('--label <key=value>', 'a label (repeatable)', collect, [])
    .option('--defaults <json>', 'what its spaces inherit, e.g. \'{"isolation":"shared","retentionDays":30}\'')
    .option('--max-memories <n>', 'quota: most memories across its spaces', toInt)
    .option('--max-bytes <n>', 'quota: most payload bytes across its spaces', toInt)
    .action(async (name: string, o: ProjectFlags & { label: string[] }) => {
      const project = await ctx.backend().projects.create({
        name,
        labels: labelsOption(o.label),
        ...definedOnly({ description: o.description, defaults: defaultsOf(o) as ProjectCreateInput['defaults'] }),
        quotas: projectQuotas(o),
      });
      ctx.print(project, () => `created project ${project.name}\n`);
    });
  ctx
    .apiCommand(projects, 'list', 'list projects')
    .option('--prefix <prefix>')
    .option('--limit <n>', 'most projects to show', toInt, 100)
    .option('--cursor <name>', 'continue after this project')
    .action(async (o: { prefix?: string; limit: number; cursor?: string }) => {
      const page = await ctx.backend().projects.list(o);
      ctx.print(page, () =>
        table(
          ['NAME', 'OWNER', 'MAX MEMORIES', 'MAX BYTES', 'CREATED'],
          page.items.map((p) => [p.name, p.owner, p.quotas.maxMemories ?? '-', p.quotas.maxBytes ?? '-', p.createdAt]),
        ) + nextPageHint(page.nextCursor),
      );
    });
  ctx
    .apiCommand(projects, 'info <name>', "a project's settings and totals across its spaces")
    .action(async (name: string) => {
      const project = await ctx.backend().projects.get(name);
      ctx.print(project, () => projectFields(project));
    });
  ctx
    .apiCommand(projects, 'set <name>', "change a project; its spaces that inherit a changed default follow (0 lifts a quota)")
    .option('--description <text>')
    .option('--label <key=value>', 'replace the labels (repeatable)', collect, [])
    .option('--defaults <json>', 'defaults to merge in; null removes one, e.g. \'{"sensitivity":null}\'')
    .option('--max-memories <n>', 'quota: most memories across its spaces', toInt)
    .option('--max-bytes <n>', 'quota: most payload bytes across its spaces', toInt)
    .action(async (name: string, o: ProjectFlags & { label: string[] }) => {
      const quotas = projectQuotas(o);
      const patch = definedOnly({
        description: o.description,
        labels: o.label.length > 0 ? labelsOption(o.label) : undefined,
        defaults: defaultsOf(o) as ProjectPatchInput['defaults'],
        quotas: Object.keys(quotas).length > 0 ? quotas : undefined,
      });
      const project = await ctx.backend().projects.update(name, patch);
      ctx.print(project, () => `updated project ${project.name}\n`);
    });
  ctx
    .apiCommand(projects, 'delete <name>', 'delete a project; refused while it holds spaces, unless --cascade')
    .addOption(new Option('--cascade', 'delete its spaces too (each audited first)'))
    .action(async (name: string, o: { cascade?: boolean }) => {
      const result = await ctx.backend().projects.delete(name, { cascade: o.cascade === true });
      ctx.print({ deleted: name, ...result }, () => `deleted project ${name}${result.spacesDeleted > 0 ? ` and its ${result.spacesDeleted} spaces` : ''}\n`);
    });
}

interface ProjectFlags {
  description?: string;
  defaults?: string;
  maxMemories?: number;
  maxBytes?: number;
}

function defaultsOf(o: ProjectFlags): unknown {
  return o.defaults === undefined ? undefined : parseJsonOption(o.defaults, '--defaults');
}

/** The quota flags given; 0 lifts a quota. */
function projectQuotas(o: ProjectFlags): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  if (o.maxMemories !== undefined) out['maxMemories'] = o.maxMemories === 0 ? null : o.maxMemories;
  if (o.maxBytes !== undefined) out['maxBytes'] = o.maxBytes === 0 ? null : o.maxBytes;
  return out;
}

function projectFields(p: ProjectInfo): string {
  const limit = (n: number | null): string => (n === null ? 'unlimited' : String(n));
  const { spaces } = p.totals;
  return fields([
    ['name', p.name],
    ['description', p.description],
    ['owner', p.owner],
    ['labels', p.labels],
    ['defaults', p.defaults],
    ['spaces', `${spaces.total} (${spaces.active} active, ${spaces.idle} idle, ${spaces.archived} archived, ${spaces.damaged} damaged)`],
    ['memories', `${p.totals.memories} of ${limit(p.quotas.maxMemories)}`],
    ['payload bytes', `${p.totals.payloadBytes} of ${limit(p.quotas.maxBytes)}`],
    ['bytes on disk', String(p.totals.diskBytes)],
    ['created', p.createdAt],
  ]);
}
