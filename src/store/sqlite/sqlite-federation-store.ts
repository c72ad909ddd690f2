import type Database from 'better-sqlite3-multiple-ciphers';
import { MemspaceError } from '../../core/errors.js';
import type {
  FederationRecord,
  FederationStore,
  ParticipantRecord,
  ReleaseOutcome,
  ReleaseRecord,
  ReleaseSpend,
  WithdrawReason,
} from '../../core/ports/federation-store.js';
import { checkSpend, federationFromRow, participantFromRow, releaseFromRow, type FederationRow, type ParticipantRow, type ReleaseRow } from '../common/federation-rows.js';
import { JSON_TEXT } from './catalog-db.js';
import { sqlite } from './sqlite-errors.js';

/**
 * Federations in the catalogue database. better-sqlite3 runs a transaction synchronously, so a
 * spend's check and its charges cannot interleave with another's; `IMMEDIATE` takes the write
 * lock first, for a second process on the same catalogue.
 */
export class SqliteFederationStore implements FederationStore {
  constructor(private readonly catalog: Database.Database) {}

  async create(r: FederationRecord): Promise<void> {
    sqlite(() =>
      this.catalog
        .prepare('INSERT INTO federations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.id, r.topic, r.mechanism, r.epsilonMicro, r.delta, r.minParticipants, r.createdAt, r.createdBy, r.releaseSeq),
    );
  }

  async get(id: string): Promise<FederationRecord | undefined> {
    const row = sqlite(() => this.catalog.prepare('SELECT * FROM federations WHERE id = ?').get(id) as FederationRow | undefined);
    return row && federationFromRow(row);
  }

  async list(options: { after?: string | undefined; limit: number }): Promise<FederationRecord[]> {
    const rows = sqlite(() => this.catalog.prepare('SELECT * FROM federations WHERE id > ? ORDER BY id LIMIT ?').all(options.after ?? '', options.limit) as FederationRow[]);
    return rows.map(federationFromRow);
  }

  async participants(federationId: string): Promise<ParticipantRecord[]> {
    const rows = sqlite(() => this.catalog.prepare('SELECT * FROM federation_participants WHERE federation_id = ? ORDER BY joined_at, space').all(federationId) as ParticipantRow[]);
    return rows.map(participantFromRow);
  }

  async participationsOf(space: string): Promise<ParticipantRecord[]> {
    const rows = sqlite(() => this.catalog.prepare('SELECT * FROM federation_participants WHERE space = ? ORDER BY joined_at, federation_id').all(space) as ParticipantRow[]);
    return rows.map(participantFromRow);
  }

  async join(r: ParticipantRecord): Promise<ParticipantRecord> {
    return sqlite(() =>
      this.catalog
        .transaction(() => {
          const old = this.catalog.prepare('SELECT * FROM federation_participants WHERE federation_id = ? AND space = ?').get(r.federationId, r.space) as ParticipantRow | undefined;
          if (old !== undefined && Number(old.space_created_at) === r.spaceCreatedAt) {
            if (old.withdrawn_at === null) throw new MemspaceError('CONFLICT', `space "${old.space}" participates in this federation already`, { space: old.space });
            this.catalog
              .prepare('UPDATE federation_participants SET privacy = ?, budget_micro = ?, joined_at = ?, withdrawn_at = NULL, withdraw_reason = NULL WHERE federation_id = ? AND space = ?')
              .run(r.privacy, r.budgetMicro, r.joinedAt, r.federationId, r.space);
          } else {
            // A space of the same name created since inherits nothing of the old participation.
            if (old !== undefined) this.catalog.prepare('DELETE FROM federation_participants WHERE federation_id = ? AND space = ?').run(r.federationId, r.space);
            this.catalog
              .prepare('INSERT INTO federation_participants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
              .run(r.federationId, r.space, r.spaceCreatedAt, r.privacy, r.alias, r.budgetMicro, r.spentMicro, r.joinedAt, null, null, 0, 0, null);
          }
          const row = this.catalog.prepare('SELECT * FROM federation_participants WHERE federation_id = ? AND space = ?').get(r.federationId, r.space) as ParticipantRow;
          return participantFromRow(row);
        })
        .immediate(),
    );
  }

  async withdraw(federationId: string, space: string, at: number, reason: WithdrawReason): Promise<boolean> {
    return sqlite(
      () =>
        this.catalog
          .prepare('UPDATE federation_participants SET withdrawn_at = ?, withdraw_reason = ? WHERE federation_id = ? AND space = ? AND withdrawn_at IS NULL')
          .run(at, reason, federationId, space).changes > 0,
    );
  }

  async forgetSpace(space: string): Promise<number> {
    return sqlite(() => this.catalog.prepare('DELETE FROM federation_participants WHERE space = ?').run(space).changes);
  }

  async spend(spend: ReleaseSpend): Promise<ReleaseRecord> {
    const r = spend.release;
    return sqlite(() =>
      this.catalog
        .transaction(() => {
          const seq = this.catalog.prepare('UPDATE federations SET release_seq = release_seq + 1 WHERE id = ? RETURNING release_seq').get(spend.federationId) as { release_seq: number } | undefined;
          if (seq === undefined) throw new MemspaceError('NOT_FOUND', `federation ${spend.federationId} not found`, { id: spend.federationId });
          const rows = this.catalog.prepare('SELECT * FROM federation_participants WHERE federation_id = ?').all(spend.federationId) as ParticipantRow[];
          checkSpend(spend, rows);
          const charge = this.catalog.prepare('UPDATE federation_participants SET spent_micro = spent_micro + ? WHERE federation_id = ? AND space = ?');
          for (const space of spend.spaces) charge.run(r.epsilonMicro, spend.federationId, space);
          this.catalog
            .prepare('INSERT INTO federation_releases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
            .run(spend.federationId, seq.release_seq, r.id, r.kind, JSON_TEXT.encode(r.params), r.state, r.mechanism, r.epsilonMicro, r.delta, r.contributors, null, r.createdAt, r.createdBy);
          return { ...r, seq: Number(seq.release_seq) };
        })
        .immediate(),
    );
  }

  async complete(releaseId: string, outcome: ReleaseOutcome): Promise<void> {
    sqlite(() =>
      this.catalog
        .transaction(() => {
          const release = this.catalog.prepare('SELECT federation_id FROM federation_releases WHERE id = ?').get(releaseId) as { federation_id: string } | undefined;
          if (release === undefined) throw new MemspaceError('NOT_FOUND', `release ${releaseId} not found`, { id: releaseId });
          this.catalog.prepare('UPDATE federation_releases SET state = ?, result = ? WHERE id = ?').run(outcome.state, outcome.result === null ? null : JSON_TEXT.encode(outcome.result), releaseId);
          const note = this.catalog.prepare(
            'UPDATE federation_participants SET contributions = contributions + 1, clipped = clipped + ?, last_contribution_at = ? WHERE federation_id = ? AND space = ?',
          );
          for (const c of outcome.contributions) note.run(c.clipped ? 1 : 0, outcome.at, release.federation_id, c.space);
        })
        .immediate(),
    );
  }

  async releases(federationId: string, options: { afterSeq?: number | undefined; limit: number }): Promise<ReleaseRecord[]> {
    const rows = sqlite(
      () =>
        this.catalog
          .prepare('SELECT * FROM federation_releases WHERE federation_id = ? AND seq > ? ORDER BY seq LIMIT ?')
          .all(federationId, options.afterSeq ?? 0, options.limit) as ReleaseRow<string>[],
    );
    return rows.map((row) => releaseFromRow(row, JSON_TEXT));
  }
}
