import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { cliConfigPath, loadConfig } from '../config.js';
import { MemspaceError } from '../core/errors.js';
import { validateSpaceName } from '../core/space-name.js';

/**
 * The command line's own settings, kept between runs in a JSON file (`memspace use`). Only the
 * current space: never a key, since the file is plain text in the home directory, copied by
 * backups and dotfile repositories, where a secret does not belong (keep it in MEMSPACE_KEY).
 */
export interface CliSettings {
  /** The space `.` stands for in a command's SPACE argument; shown by `memspace whoami`. */
  space?: string;
}

const SettingsSchema = z.object({ space: z.string().optional() }).loose();

/** The settings file of `env`: `$MEMSPACE_CONFIG`, else `cli.json` under the XDG configuration directory; undefined without a home. */
export function settingsFileIfAny(env: NodeJS.ProcessEnv): string | undefined {
  return cliConfigPath(loadConfig({}, env), env);
}

/** {@link settingsFileIfAny}, which must exist: no home is an error saying what to set. */
export function settingsFile(env: NodeJS.ProcessEnv): string {
  const path = settingsFileIfAny(env);
  if (path === undefined) throw new MemspaceError('VALIDATION_FAILED', 'no place for the CLI settings: set MEMSPACE_CONFIG, XDG_CONFIG_HOME or HOME', { issues: [{ path: 'MEMSPACE_CONFIG', message: 'unset' }] });
  return path;
}

/** The settings in `file`; none when it does not exist. A file that is not settings is an error naming it, never ignored. */
export function readSettings(file: string): CliSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MemspaceError('VALIDATION_FAILED', `${file} is not JSON: fix or delete it`, { file });
  }
  const parsed = SettingsSchema.safeParse(value);
  if (!parsed.success) throw new MemspaceError('VALIDATION_FAILED', `${file} is not memspace CLI settings: fix or delete it`, { file });
  return parsed.data.space === undefined ? {} : { space: parsed.data.space };
}

/** Writes `settings` to `file` whole (a new file renamed over the old, so a reader never sees half of it). */
export function writeSettings(file: string, settings: CliSettings): void {
  mkdirSync(dirname(file), { recursive: true });
  const next = `${file}.${process.pid}.tmp`;
  writeFileSync(next, `${JSON.stringify(settings, null, 2)}\n`);
  renameSync(next, file);
}

/** What stands for the current space in a SPACE argument or a `--space` option. */
export const CURRENT_SPACE = '.';

/** `space`, or the current space of `env`'s settings when it is `.`; no current space then is an error saying how to set one. */
export function currentSpaceOr(space: string, env: NodeJS.ProcessEnv): string {
  if (space !== CURRENT_SPACE) return space;
  const file = settingsFile(env);
  const current = readSettings(file).space;
  if (current === undefined) throw new MemspaceError('VALIDATION_FAILED', '"." stands for the current space, and none is set: run memspace use SPACE', { issues: [{ path: 'space', message: 'no current space' }] });
  return validateSpaceName(current);
}

/**
 * Puts the current space where `command` was given `.` for it: in its `<space>` arguments and
 * its `--space` option. Run before the action, so that no command handles `.` itself; other
 * arguments (`spaces delete <name>`) never take it, so a `.` cannot delete the current space.
 */
export function fillCurrentSpace(command: Command, env: NodeJS.ProcessEnv): void {
  command.registeredArguments.forEach((argument, i) => {
    if (argument.name() === 'space' && command.processedArgs[i] === CURRENT_SPACE) command.processedArgs[i] = currentSpaceOr(CURRENT_SPACE, env);
  });
  if (command.getOptionValue('space') === CURRENT_SPACE) command.setOptionValue('space', currentSpaceOr(CURRENT_SPACE, env));
}
