import type { MemspaceClient } from '../client/client.js';
import { isMemspaceError } from '../core/errors.js';
import { validateSpaceName } from '../core/space-name.js';
import type { SpaceHealth } from '../core/views.js';
import type { Memspace } from '../memspace.js';
import { table, type TextSink } from './format.js';
import { definedOnly } from '../core/defined.js';

/** Open spaces against the cap, and damaged spaces, in the process the figures come from. */
export interface RegistryPressure {
  /** Whose registry: `this process` for a data directory, else the server's URL. */
  of: string;
  /** Unknown when the server shows them only to a key over every space and this key is not one. */
  open: number | undefined;
  cap: number | undefined;
  damaged: number | undefined;
}

/** Where `memspace status` reads its figures: a running server, or a data directory. */
export interface StatusSource {
  /** Names of the spaces to show, one page at a time, in name order. */
  pages(): AsyncIterable<string[]>;
  /** One space's health; never opens an idle space. */
  spaceHealth(name: string): Promise<SpaceHealth>;
  /** Registry pressure of the process that serves the spaces. */
  pressure(): Promise<RegistryPressure>;
}

/** Spaces listed per page. */
const PAGE = 1000;
/** Health requests in flight at once: enough to hide a server's round trips, few enough to be polite. */
const CONCURRENCY = 8;

/**
 * Figures straight from a data directory. The spaces are read from the catalogue page by page
 * and each idle space's figures from its files, so this opens no space, whatever their number.
 */
export function localSource(ms: Pick<Memspace, 'spaces' | 'health'>): StatusSource {
  return {
    pages: () => spaceNames((query) => ms.spaces.list(query)),
    spaceHealth: (name) => ms.health.spaceHealth(name),
    async pressure() {
      const h = await ms.health.health();
      // Only this process's registry is knowable here; a server on the same directory has its own.
      return { of: 'this process', open: h.openSpaces, cap: h.maxOpenSpaces, damaged: h.damagedSpaces };
    },
  };
}

/** Figures from a running server, through the SDK: only the spaces its key can see. */
export function remoteSource(client: MemspaceClient, url: string): StatusSource {
  return {
    pages: () => spaceNames((query) => client.spaces.list(query)),
    spaceHealth: (name) => client.spaceHealth(name),
    async pressure() {
      const h = await client.health();
      return { of: url, open: h.openSpaces, cap: h.maxOpenSpaces, damaged: h.damagedSpaces };
    },
  };
}

/** The names of the spaces `list` lists, a page at a time, following its cursors to the end. */
async function* spaceNames(list: (query: { limit: number; cursor?: string }) => Promise<{ items: { name: string }[]; nextCursor: string | null }>): AsyncIterable<string[]> {
  let cursor: string | undefined;
  do {
    const page = await list({ limit: PAGE, ...definedOnly({ cursor }) });
    yield page.items.map((s) => s.name);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/**
 * The health of every space of `source`, in name order. A space deleted between the listing
 * and its health check is left out rather than failing the whole report.
 */
export async function collectHealth(source: StatusSource): Promise<SpaceHealth[]> {
  const out: SpaceHealth[] = [];
  for await (const names of source.pages()) {
    const page: (SpaceHealth | undefined)[] = new Array(names.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const i = next++;
        try {
          page[i] = await source.spaceHealth(names[i]!);
        } catch (error) {
          if (!(isMemspaceError(error) && error.code === 'SPACE_NOT_FOUND')) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
    for (const h of page) if (h !== undefined) out.push(h);
  }
  return out;
}

/** The status table: one row per space, then registry pressure and the reasons of damaged spaces. */
export function statusTable(rows: readonly SpaceHealth[], pressure: RegistryPressure): string {
  const dash = (v: number | string | null): string | number => (v === null ? '-' : v);
  const body = table(
    ['NAME', 'STATE', 'OPEN', 'MEMORIES', 'BYTES', 'WAL', 'WAL LAG MS', 'INDEX LAG', 'LAST WRITE'],
    rows.map((h) => [
      h.name,
      h.state,
      h.open ? 'yes' : 'no',
      dash(h.memories),
      h.bytes === null ? '-' : size(h.bytes),
      h.walBytes === null ? '-' : size(h.walBytes),
      dash(h.walLagMs === null ? null : Math.round(h.walLagMs)),
      dash(h.indexLag),
      dash(h.lastWriteAt),
    ]),
  );
  const { open, cap, damaged } = pressure;
  const registry =
    open === undefined || cap === undefined
      ? `registry of ${pressure.of}: shown to a key over every space only`
      : `registry of ${pressure.of}: ${open} open of ${cap} (${cap === 0 ? 0 : Math.round((open / cap) * 100)}%)`;
  const lines = [`${rows.length} ${rows.length === 1 ? 'space' : 'spaces'}; ${registry}` + (damaged !== undefined && damaged > 0 ? `; ${damaged} damaged` : '')];
  for (const h of rows) if (h.error !== undefined) lines.push(`${h.name}: ${h.error}`);
  return `${body}${lines.join('\n')}\n`;
}

/**
 * The consolidation figures of spaces (`status --space`): when the last pass ended, passes,
 * memories merged, superseded and dropped by decay, the rate per minute over the last hour and
 * the memories the next pass has not seen; dashes for a space whose figures cannot be read.
 */
export function consolidationTable(rows: readonly SpaceHealth[]): string {
  return table(
    ['CONSOLIDATION', 'LAST RUN', 'RUNS', 'MERGED', 'SUPERSEDED', 'DECAYED', 'RATE/MIN', 'PENDING'],
    rows.map((h) => {
      const c = h.consolidation;
      return c === null ? [h.name, '-', '-', '-', '-', '-', '-', '-'] : [h.name, c.lastRunAt ?? '-', c.runs, c.merged, c.superseded, c.decayed, c.ratePerMinute, c.pending];
    }),
  );
}

/** Options of `memspace status`. */
export interface StatusCommand {
  /** Only this space. @default every space the data directory holds or the key can see */
  space?: string | undefined;
  /** Print JSON (an array of space health, one object with `space`) instead of a table. @default false */
  json: boolean;
}

/**
 * Runs `memspace status` on the figures of `source` (a data directory's or a server's, made
 * only once the space name is known valid). Failures are thrown as {@link MemspaceError}s for
 * the command line to report.
 */
export async function runStatus(command: StatusCommand, stdout: TextSink, source: () => StatusSource): Promise<void> {
  // An invalid name is refused before anything is opened or sent.
  if (command.space !== undefined) validateSpaceName(command.space, { allowSystem: true });
  const figures = source();
  const rows = command.space === undefined ? await collectHealth(figures) : [await figures.spaceHealth(command.space)];
  if (command.json) {
    stdout.write(`${JSON.stringify(command.space === undefined ? rows : rows[0], null, 2)}\n`);
    return;
  }
  stdout.write(statusTable(rows, await figures.pressure()));
  if (command.space !== undefined) stdout.write(`\n${consolidationTable(rows)}`);
}

/** Bytes for people: B, KiB, MiB, GiB. */
function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
