import type { Command } from 'commander';
import { MemspaceError } from '../../core/errors.js';
import type { AuditEntry } from '../../core/views.js';
import type { CliContext } from '../cli-context.js';
import { nextPageHint, table } from '../format.js';
import { definedOnly } from '../../core/defined.js';
import { toInt } from '../options.js';

/** Registers `audit` (a space's audit trail) and `audit verify` (its hash chain). */
export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = ctx
    .apiCommand(program, 'audit <space>', "a space's audit trail, oldest first (or --newest-first); `audit verify SPACE` checks its hash chain")
    .option('--action <action>', 'only entries with this action, e.g. memory.delete')
    .option('--actor <key>', 'only entries by this actor: a key id, or a name such as cli')
    .option('--since <iso>', 'only entries at or after this time, e.g. 2026-01-01T00:00:00Z')
    .option('--newest-first', 'newest entries first')
    .option('--limit <n>', 'most entries to show (default 100)', toInt)
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (space: string, o: { action?: string; actor?: string; since?: string; newestFirst?: boolean; limit?: number; cursor?: string }) => {
      const { action, actor, since, limit, cursor } = o;
      const order = o.newestFirst === true ? 'desc' : undefined;
      const page = await ctx.backend().audit.list(space, definedOnly({ action, actor, since, order, limit, cursor }));
      ctx.print(page, () => auditTable(page.items) + nextPageHint(page.nextCursor));
    });
  ctx
    .apiCommand(audit, 'verify <space>', "recompute a space's audit hash chain; exits 1 naming the first entry at fault")
    .action(async (space: string) => {
      const result = await ctx.backend().audit.verify(space);
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
      ctx.print({ space, ...result }, () => `audit chain of ${space} is intact: ${result.entries} entries\n`);
    });
}

function auditTable(items: readonly AuditEntry[]): string {
  return table(
    ['SEQ', 'AT', 'ACTOR', 'ACTION', 'IDS'],
    items.map((a) => [a.seq, a.at, a.actor, a.action, a.ids.length === 0 ? '' : a.ids.join(',')]),
  );
}
