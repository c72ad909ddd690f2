import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { MemspaceError } from '../../core/errors.js';
import { rotateMasterKey } from '../../memspace.js';
import type { Grant } from '../../core/grants.js';
import type { CliContext } from '../cli-context.js';
import { table } from '../format.js';
import { definedOnly } from '../../core/defined.js';
import { collect, parseGrant } from '../options.js';

/**
 * Registers `keys create|list|revoke`: the API keys of the HTTP server, managed as the local
 * operator; and `keys rotate-master`, which rewraps the keys of encrypted spaces.
 */
export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = ctx.command(program, 'keys', 'API keys of the HTTP server');
  ctx
    .apiCommand(keys, 'create <name>', 'create a key; it is printed once and stored only as a hash')
    .option('--grant <grant>', 'SPACE:ROLE or PREFIX*:ROLE, role read|write|admin (repeatable; "*:admin" is everything)', collect, [])
    .option('--default-space <space>', 'the space used when a request names none')
    .action(async (name: string, o: { grant: string[]; defaultSpace?: string }) => {
      const created = await ctx.backend().keys.create({ name, grants: o.grant.map(parseGrant) as Grant[], ...definedOnly({ defaultSpace: o.defaultSpace }) });
      ctx.print(created, () => `${created.key}\n(key ${created.id}; shown this once, store it now)\n`);
    });
  ctx
    .apiCommand(keys, 'list', 'list keys (never their secrets)')
    .action(async () => {
      const items = await ctx.backend().keys.list();
      ctx.print(items, () =>
        table(
          ['ID', 'NAME', 'GRANTS', 'DEFAULT SPACE', 'CREATED', 'REVOKED'],
          items.map((k) => [k.id, k.name, k.grants.map(formatGrant).join(' '), k.defaultSpace, k.createdAt, k.revokedAt]),
        ),
      );
    });
  ctx
    .apiCommand(keys, 'revoke <id>', 'revoke a key at once')
    .action(async (id: string) => {
      await ctx.backend().keys.revoke(id);
      ctx.print({ revoked: id }, () => `revoked key ${id}\n`);
    });
  ctx
    .command(keys, 'rotate-master', 'rewrap every encrypted space\'s key under a new master key, touching no data (stop the server first)')
    .option('--new-key-file <file>', 'file holding the new master key, mode 0600 (else MEMSPACE_NEW_MASTER_KEY)')
    .action(async (o: { newKeyFile?: string }) => {
      const config = loadConfig({ dataDir: ctx.globals().dataDir }, ctx.io.env);
      const next = o.newKeyFile === undefined ? config.newMasterKey : loadConfig({ masterKeyFile: o.newKeyFile }, {}).masterKeyFile;
      if (next === undefined) throw new MemspaceError('VALIDATION_FAILED', 'give the new master key: --new-key-file FILE or MEMSPACE_NEW_MASTER_KEY', { option: '--new-key-file' });
      const rotation = await rotateMasterKey(config, next);
      ctx.print(rotation, () => `rewrapped ${rotation.rewrapped} space key${rotation.rewrapped === 1 ? '' : 's'} under the new master key; start the server with it from now on\n`);
    });
}

/** A grant as `keys create --grant` takes it: the inverse of {@link parseGrant}. */
export function formatGrant(grant: Grant): string {
  if ('project' in grant) return `project:${grant.project}:${grant.role}`;
  return 'space' in grant ? `${grant.space}:${grant.role}` : `${grant.prefix}*:${grant.role}`;
}
