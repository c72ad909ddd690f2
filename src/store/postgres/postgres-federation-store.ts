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
import { type CatalogPool, JSONB } from './catalog-db.js';
import { spaceIdOf } from './postgres-space-store.js';

/**
 * Federations in the catalogue tables (reference tables on Citus). A spend runs in one
 * transaction that first updates the federation's row (its release counter), which locks it:
 * two releases of one federation, on any server, charge budgets one after the other.
 */
export class PostgresFederationStore implements FederationStore {
  constructor(private readonly db: CatalogPool) {}

  async create(r: FederationRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO federations (id, topic, mechanism, epsilon_micro, delta, min_participants, created_at, created_by, release_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.id, r.topic, r.mechanism, r.epsilonMicro, r.delta, r.minParticipants, r.createdAt, r.createdBy, r.releaseSeq],
    );
  }

  async get(id: string): Promise<FederationRecord | undefined> {
    const row = (await this.db.query<FederationRow>('SELECT * FROM federations WHERE id = $1', [id])).rows[0];
    return row && federationFromRow(row);
  }

  async list(options: { after?: string | undefined; limit: number }): Promise<FederationRecord[]> {
    const rows = (await this.db.query<FederationRow>('SELECT * FROM federations WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2', [options.after ?? '', options.limit])).rows;
    return rows.map(federationFromRow);
  }

  async participants(federationId: string): Promise<ParticipantRecord[]> {
    const rows = (await this.db.query<ParticipantRow>('SELECT * FROM federation_participants WHERE federation_id = $1 ORDER BY joined_at, space_key', [federationId])).rows;
    return rows.map(participantFromRow);
  }

  async participationsOf(space: string): Promise<ParticipantRecord[]> {
    const rows = (await this.db.query<ParticipantRow>('SELECT * FROM federation_participants WHERE space_key = $1 ORDER BY joined_at, federation_id', [spaceIdOf(space)])).rows;
    return rows.map(participantFromRow);
  }

  async join(r: ParticipantRecord): Promise<ParticipantRecord> {
    const key = spaceIdOf(r.space);
    return this.db.transaction(async (client) => {
      const old = (await client.query<ParticipantRow>('SELECT * FROM federation_participants WHERE federation_id = $1 AND space_key = $2 FOR UPDATE', [r.federationId, key])).rows[0];
      if (old !== undefined && Number(old.space_created_at) === r.spaceCreatedAt) {
        if (old.withdrawn_at === null) throw new MemspaceError('CONFLICT', `space "${old.space}" participates in this federation already`, { space: old.space });
        await client.query(
          'UPDATE federation_participants SET privacy = $3, budget_micro = $4, joined_at = $5, withdrawn_at = NULL, withdraw_reason = NULL WHERE federation_id = $1 AND space_key = $2',
          [r.federationId, key, r.privacy, r.budgetMicro, r.joinedAt],
        );
      } else {
        // A space of the same name created since inherits nothing of the old participation.
        if (old !== undefined) await client.query('DELETE FROM federation_participants WHERE federation_id = $1 AND space_key = $2', [r.federationId, key]);
        await client.query(
          `INSERT INTO federation_participants (federation_id, space_key, space, space_created_at, privacy, alias, budget_micro, spent_micro, joined_at,
             withdrawn_at, withdraw_reason, contributions, clipped, last_contribution_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, 0, 0, NULL)`,
          [r.federationId, key, r.space, r.spaceCreatedAt, r.privacy, r.alias, r.budgetMicro, r.spentMicro, r.joinedAt],
        );
      }
      const row = (await client.query<ParticipantRow>('SELECT * FROM federation_participants WHERE federation_id = $1 AND space_key = $2', [r.federationId, key])).rows[0]!;
      return participantFromRow(row);
    });
  }

  async withdraw(federationId: string, space: string, at: number, reason: WithdrawReason): Promise<boolean> {
    const result = await this.db.query(
      'UPDATE federation_participants SET withdrawn_at = $3, withdraw_reason = $4 WHERE federation_id = $1 AND space_key = $2 AND withdrawn_at IS NULL',
      [federationId, spaceIdOf(space), at, reason],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async forgetSpace(space: string): Promise<number> {
    return (await this.db.query('DELETE FROM federation_participants WHERE space_key = $1', [spaceIdOf(space)])).rowCount ?? 0;
  }

  async spend(spend: ReleaseSpend): Promise<ReleaseRecord> {
    const r = spend.release;
    return this.db.transaction(async (client) => {
      // Updating the federation's row locks it until commit: releases of one federation queue here.
      const seq = (await client.query<{ release_seq: number }>('UPDATE federations SET release_seq = release_seq + 1 WHERE id = $1 RETURNING release_seq', [spend.federationId])).rows[0];
      if (seq === undefined) throw new MemspaceError('NOT_FOUND', `federation ${spend.federationId} not found`, { id: spend.federationId });
      const rows = (await client.query<ParticipantRow>('SELECT * FROM federation_participants WHERE federation_id = $1', [spend.federationId])).rows;
      checkSpend(spend, rows);
      await client.query('UPDATE federation_participants SET spent_micro = spent_micro + $1 WHERE federation_id = $2 AND space_key = ANY($3::text[])', [
        r.epsilonMicro,
        spend.federationId,
        spend.spaces.map(spaceIdOf),
      ]);
      await client.query(
        `INSERT INTO federation_releases (federation_id, seq, id, kind, params, state, mechanism, epsilon_micro, delta, contributors, result, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12)`,
        [spend.federationId, seq.release_seq, r.id, r.kind, JSONB.encode(r.params), r.state, r.mechanism, r.epsilonMicro, r.delta, r.contributors, r.createdAt, r.createdBy],
      );
      return { ...r, seq: Number(seq.release_seq) };
    });
  }

  async complete(releaseId: string, outcome: ReleaseOutcome): Promise<void> {
    await this.db.transaction(async (client) => {
      const release = (await client.query<{ federation_id: string }>('UPDATE federation_releases SET state = $2, result = $3 WHERE id = $1 RETURNING federation_id', [
        releaseId,
        outcome.state,
        outcome.result === null ? null : JSONB.encode(outcome.result),
      ])).rows[0];
      if (release === undefined) throw new MemspaceError('NOT_FOUND', `release ${releaseId} not found`, { id: releaseId });
      for (const c of outcome.contributions) {
        await client.query(
          `UPDATE federation_participants SET contributions = contributions + 1, clipped = clipped + $1, last_contribution_at = $2
           WHERE federation_id = $3 AND space_key = $4`,
          [c.clipped ? 1 : 0, outcome.at, release.federation_id, spaceIdOf(c.space)],
        );
      }
    });
  }

  async releases(federationId: string, options: { afterSeq?: number | undefined; limit: number }): Promise<ReleaseRecord[]> {
    const rows = (
      await this.db.query<ReleaseRow<unknown>>('SELECT * FROM federation_releases WHERE federation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
        federationId,
        options.afterSeq ?? 0,
        options.limit,
      ])
    ).rows;
    return rows.map((row) => releaseFromRow(row, JSONB));
  }

}
