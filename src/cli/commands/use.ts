import type { Command } from 'commander';
import { MemspaceError } from '../../core/errors.js';
import { validateSpaceName } from '../../core/space-name.js';
import type { CliContext } from '../cli-context.js';
import { readSettings, settingsFile, settingsFileIfAny, writeSettings } from '../cli-settings.js';
import { fields } from '../format.js';
import { formatGrant } from './keys.js';

/**
 * Registers `whoami` (who the command line acts as, and its current space) and `use` (sets or
 * clears the current space: in the CLI's settings file, and against a server also as the key's
 * default space, so that SDK and MCP calls that name no space land there too).
 */
export function registerUse(program: Command, ctx: CliContext): void {
  ctx
    .apiCommand(program, 'whoami', 'the key the command line acts as (on a data directory: the local operator), its grants, default space and current space')
    .action(async () => {
      const backend = ctx.backend();
      const me = await backend.whoami();
      // Without a settings file (no HOME, no MEMSPACE_CONFIG) there is simply no current space.
      const file = settingsFileIfAny(ctx.io.env);
      const currentSpace = (file === undefined ? undefined : readSettings(file).space) ?? null;
      ctx.print({ ...me, currentSpace, on: backend.where }, () =>
        fields([
          ['key', backend.remote ? `${me.id} (${me.name})` : 'the local operator (holds the data directory)'],
          [backend.remote ? 'server' : 'data directory', backend.where],
          ['grants', me.grants.map(formatGrant).join(' ')],
          ...(backend.remote ? ([['default space', me.defaultSpace ?? 'default']] as const) : []),
          ['current space', currentSpace === null ? 'none (memspace use SPACE sets one)' : `${currentSpace} (. in a SPACE argument; ${file ?? ''})`],
          ['visible spaces', String(me.visibleSpaces)],
        ]),
      );
    });
  ctx
    .apiCommand(program, 'use', 'set the current space (. stands for it in SPACE arguments; on a server also the key\'s default space), or show it')
    .argument('[space]', 'the space to use from now on')
    .option('--clear', 'forget the current space (on a server, the key goes back to the space default)')
    .action(async (space: string | undefined, o: { clear?: boolean }) => {
      if (space !== undefined && o.clear === true) throw new MemspaceError('VALIDATION_FAILED', 'give a space or --clear, not both', { issues: [{ path: 'space', message: 'space or --clear' }] });
      const file = settingsFile(ctx.io.env);
      const settings = readSettings(file);
      const backend = ctx.backend();
      if (space === undefined && o.clear !== true) {
        ctx.print({ currentSpace: settings.space ?? null }, () => (settings.space === undefined ? 'no current space (memspace use SPACE sets one)\n' : `current space: ${settings.space}\n`));
        return;
      }
      const next = space === undefined ? null : validateSpaceName(space);
      // A typo is refused rather than remembered: the space must exist and be visible to the key.
      if (next !== null) await backend.spaces.get(next);
      await backend.setDefaultSpace(next);
      const { space: _old, ...rest } = settings;
      writeSettings(file, next === null ? rest : { ...rest, space: next });
      const onServer = backend.remote ? ` (and the default space of the key on ${backend.where})` : '';
      ctx.print({ currentSpace: next }, () => (next === null ? `no current space${onServer ? `; the key's default space is default again on ${backend.where}` : ''}\n` : `current space: ${next}${onServer}\n`));
    });
}
