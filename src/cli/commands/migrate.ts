import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config.js';
import { migrateSpaces } from '../../engine/space-migration.js';
import { openMemspace } from '../../memspace.js';
import type { CliContext } from '../cli-context.js';
import { definedOnly } from '../../core/defined.js';
import { collect, nonEmpty } from '../options.js';

/** Registers `migrate`: copies spaces between two backends, neither of them the global `--data-dir`. */
export function registerMigrate(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  ctx
    .command(program, 'migrate', 'copy spaces between backends (a data directory or a postgres:// URL), verifying counts and a checksum per space; run again to resume')
    .requiredOption('--from <dir|url>', 'source: a data directory or postgres://...')
    .requiredOption('--to <dir|url>', 'target: a data directory or postgres://...')
    .option('--space <name>', 'only this space (repeatable; default: every space that is not archived)', collect, [])
    .action(async (o: { from: string; to: string; space: string[] }) => {
      const json = (): boolean => ctx.globals().json === true;
      const from = await openMemspace(locationConfig(o.from, io.env));
      try {
        const to = await openMemspace(locationConfig(o.to, io.env));
        try {
          const results = await migrateSpaces(from, to, {
            ...definedOnly({ spaces: nonEmpty(o.space) }),
            // A line per space as it is done, so a long migration shows its progress; JSON comes whole at the end.
            onSpace: (r) => {
              if (!json()) io.stdout.write(`${r.space}: ${r.outcome}, ${r.memories} memories, sha256 ${r.checksum.slice(0, 16)}\n`);
            },
          });
          if (json()) io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
}

/** Configuration for a migration end: a `postgres://` URL selects that backend, anything else is a data directory. */
function locationConfig(location: string, env: NodeJS.ProcessEnv): Config {
  return /^postgres(ql)?:\/\//.test(location) ? loadConfig({ backend: 'postgres', pgUrl: location }, env) : loadConfig({ backend: 'sqlite', dataDir: location }, env);
}
