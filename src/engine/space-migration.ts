import { createHash } from 'node:crypto';
import { MemspaceError } from '../core/errors.js';
import { canonicalJson } from '../core/audit.js';
import type { SpaceService } from './space-service.js';
import type { ExportLine } from '../core/views.js';
import type { SpaceTransfer } from './space-transfer.js';

/** One side of a migration: a memspace's spaces and transfer (any backend). */
export interface MigrationEnd {
  spaces: SpaceService;
  transfer: SpaceTransfer;
}

/** What happened to one space. */
export interface SpaceMigration {
  space: string;
  /** `migrated` now, `verified` earlier (found complete and identical, so left as it was). */
  outcome: 'migrated' | 'verified';
  memories: number;
  /** SHA-256 of the space's rows (memories without their access counts, relations, contexts, history, audit), equal on both sides. */
  checksum: string;
}

/**
 * A label set on a target space while it is being filled: a space carrying it was left by an
 * interrupted migration and is rebuilt; a space without it is somebody's data and never touched.
 */
export const MIGRATION_LABEL = 'memspace-migration';

/**
 * Copies spaces from one memspace to another (SQLite to PostgreSQL or back) with ids, vectors,
 * history, relations, contexts and the audit chain, then checks row counts and a checksum per
 * space. Resumable: a space already migrated and identical is skipped, one left half-done by an
 * interruption (it still carries {@link MIGRATION_LABEL}) is deleted and copied again, and a
 * target space of the same name holding other data is `CONFLICT`.
 */
export async function migrateSpaces(
  from: MigrationEnd,
  to: MigrationEnd,
  options: { spaces?: readonly string[]; onSpace?: (result: SpaceMigration) => void } = {},
): Promise<SpaceMigration[]> {
  const names = options.spaces ?? (await allSpaceNames(from.spaces));
  const results: SpaceMigration[] = [];
  for (const name of names) {
    const result = await migrateSpace(from, to, name);
    options.onSpace?.(result);
    results.push(result);
  }
  return results;
}

async function migrateSpace(from: MigrationEnd, to: MigrationEnd, name: string): Promise<SpaceMigration> {
  const source = await fingerprint(from.transfer, name, undefined);
  const existing = await to.spaces.list({ prefix: name, limit: 1 });
  const target = existing.items.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (target !== undefined) {
    if (target.labels[MIGRATION_LABEL] !== undefined) {
      await to.spaces.delete(target.name); // an interrupted copy: start it again
    } else {
      const copy = await fingerprint(to.transfer, target.name, source.auditEntries);
      if (copy.checksum === source.checksum) return { space: name, outcome: 'verified', memories: source.memories, checksum: source.checksum };
      // An empty space (`default` exists everywhere) is filled in place; anything else is somebody's data.
      if (!(await isEmpty(to.spaces, target.name))) {
        throw new MemspaceError('CONFLICT', `the target already has a space "${target.name}" with other data`, { space: target.name });
      }
      return copyInto(from, to, name, target.name, source, false);
    }
  }
  return copyInto(from, to, name, source.header.name, source, true);
}

async function copyInto(from: MigrationEnd, to: MigrationEnd, name: string, targetName: string, source: Fingerprint, create: boolean): Promise<SpaceMigration> {
  const header = source.header;
  if (create) await to.spaces.create({
    name: header.name,
    description: header.description,
    isolation: header.isolation,
    sensitivity: header.sensitivity,
    retentionDays: header.retentionDays,
    quotas: header.quotas,
    consolidation: header.consolidation,
    labels: { ...header.labels, [MIGRATION_LABEL]: 'in-progress' },
    embedder: header.embedder,
    dimension: header.dimension,
  });
  await to.transfer.importSpace(targetName, exportText(from.transfer, name), undefined, { actor: 'migration' });
  const copy = await fingerprint(to.transfer, targetName, source.auditEntries);
  if (copy.checksum !== source.checksum || copy.memories !== source.memories) {
    throw new MemspaceError('INTERNAL', `space "${name}" differs after migration (${copy.memories} of ${source.memories} memories); it keeps its ${MIGRATION_LABEL} label and is copied again next time`, {
      space: name,
    });
  }
  if (create) await to.spaces.update(targetName, { labels: header.labels }, { actor: 'migration' }); // done: the label goes
  return { space: name, outcome: 'migrated', memories: source.memories, checksum: source.checksum };
}

/** A space with no rows and an empty audit trail, which an import restores into exactly. */
async function isEmpty(spaces: SpaceService, space: string): Promise<boolean> {
  const { stats } = await spaces.get(space);
  return stats.memories + stats.relations + stats.contexts === 0 && stats.lastSeq === 0 && (await spaces.audit(space, { limit: 1 })).items.length === 0;
}

interface Fingerprint {
  header: Extract<ExportLine, { type: 'space' }>;
  checksum: string;
  memories: number;
  auditEntries: number;
}

/**
 * Checksum of a space's export without its header (whose state and times are the catalogue's,
 * not the data's). With `auditEntries`, only the first that many audit entries count: the
 * target's trail goes on with the import and label entries of the migration itself.
 */
async function fingerprint(transfer: SpaceTransfer, space: string, auditEntries: number | undefined): Promise<Fingerprint> {
  const hash = createHash('sha256');
  let header: Extract<ExportLine, { type: 'space' }> | undefined;
  let memories = 0;
  let audits = 0;
  for await (const line of transfer.exportSpace(space)) {
    if (line.type === 'space') {
      header = line;
      continue;
    }
    if (line.type === 'audit' && auditEntries !== undefined && line.seq > auditEntries) continue;
    if (line.type === 'audit') audits += 1;
    if (line.type === 'memory') {
      memories += 1;
      // Reads move access counts on either side after the copy; they are not the data compared.
      const { accessCount: _count, lastAccessedAt: _at, ...data } = line;
      hash.update(canonicalJson(data)).update('\n');
    } else {
      hash.update(canonicalJson(line)).update('\n');
    }
  }
  if (header === undefined) throw new MemspaceError('INTERNAL', `export of "${space}" had no header`);
  return { header, checksum: hash.digest('hex'), memories, auditEntries: audits };
}

async function* exportText(transfer: SpaceTransfer, space: string): AsyncGenerator<string> {
  for await (const line of transfer.exportSpace(space)) yield JSON.stringify(line);
}

async function allSpaceNames(spaces: SpaceService): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await spaces.list({ limit: 1000, ...(cursor !== undefined && { cursor }) });
    names.push(...page.items.filter((s) => s.state !== 'archived').map((s) => s.name));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return names;
}
