import { canonicalJson } from '../core/audit.js';
import { definedOnly } from '../core/defined.js';
import { decodeCursor, encodeCursor } from '../core/cursor.js';
import { MemspaceError } from '../core/errors.js';
import type { ProjectStore } from '../core/ports/project-store.js';
import type { SpaceCatalog } from '../core/ports/space-catalog.js';
import { AuditQuerySchema } from '../core/audit-query.js';
import { AuditEventSchema, SpaceCreateSchema, SpaceListQuerySchema, SpacePatchSchema } from '../core/schemas.js';
import { DEFAULT_SPACE, spaceKey, validateSpaceName } from '../core/space-name.js';
import { DEFAULT_FEEDBACK_SETTINGS, withFeedbackSettings } from '../core/feedback.js';
import { INHERITABLE_SETTINGS, newSpaceSettings, projectValue } from '../core/space-settings.js';
import type { AuditVerification, ConsolidationSettings, InheritableSetting, Isolation, JsonObject, ProjectRecord, SpaceRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { auditView, iso, spaceView, type AuditEntry, type Page, type Space, type SpaceInfo } from '../core/views.js';
import { principalOf, type CallContext } from './access-guard.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import type { SpaceGate } from './space-gate.js';

/** Catalogue rows read per page while filtering a listing by the caller's grants. */
const LIST_SCAN_PAGE = 1000;

/** What other parts of the engine learn of changes to spaces, once the catalogue has them. */
export interface SpaceHooks {
  /** A space's retention was shortened or set, so that it applies at once (the sweeper). */
  onRetentionShortened?: (space: string) => Promise<unknown>;
  /** A space's isolation changed (a space no longer `federated` leaves its federations at once). */
  onIsolationChanged?: (space: string, isolation: Isolation) => Promise<unknown>;
  /** A space was deleted (its participations in federations go). */
  onDeleted?: (space: string) => Promise<unknown>;
}

/**
 * Spaces themselves: create, list, describe, change and delete them, and read and verify their
 * audit trails. A space's embedder and dimension are fixed at creation.
 */
export class SpaceService {
  constructor(
    private readonly gate: SpaceGate,
    private readonly catalog: SpaceCatalog,
    private readonly embeddings: SpaceEmbeddings,
    /** The projects spaces belong to, whose defaults they inherit. */
    private readonly projects: ProjectStore,
    private readonly hooks: SpaceHooks = {},
  ) {}

  /** Creates the `default` space if it does not exist yet; opens nothing. */
  async ensureDefault(): Promise<void> {
    if ((await this.catalog.get(DEFAULT_SPACE)) !== undefined) return;
    try {
      await this.create({ name: DEFAULT_SPACE, description: 'The space used when a request names none.' });
    } catch (error) {
      if (!(error instanceof MemspaceError && error.code === 'CONFLICT')) throw error;
    }
  }

  /**
   * Creates a space, which takes admin over its name (or over its project: any free name); its
   * embedder and dimension are fixed from then on. A space of a project takes the project's
   * defaults for what the request leaves out (core/space-settings.ts); a project that does not
   * exist, or that the caller cannot see, is `NOT_FOUND`.
   */
  async create(input: unknown, call: CallContext = {}): Promise<Space> {
    // Refused before anything is parsed or looked up, so a refusal reveals nothing.
    const raw = input as { name?: unknown; project?: unknown } | null;
    const named = typeof raw?.project === 'string' ? raw.project : undefined;
    if (typeof raw?.name === 'string') this.gate.guard.authorizeCreate(principalOf(call), raw.name, named);
    const spec = parseWith(SpaceCreateSchema, input, 'space');
    validateSpaceName(spec.name);
    const project = spec.project === undefined ? undefined : await this.existingProject(spec.project);
    const settings = newSpaceSettings(spec, project);
    const now = this.gate.now();
    const record: SpaceRecord = {
      name: spec.name,
      description: spec.description,
      isolation: settings.isolation,
      sensitivity: settings.sensitivity,
      retentionDays: settings.retentionDays,
      quotas: settings.quotas,
      consolidation: settings.consolidation,
      feedback: withFeedbackSettings(DEFAULT_FEEDBACK_SETTINGS, spec.feedback),
      labels: spec.labels,
      embedder: settings.embedder,
      dimension: this.dimensionOf(settings.embedder, settings.dimension),
      project: project?.name ?? null,
      inherited: settings.inherited,
      encryption: settings.encryption,
      createdAt: now,
      updatedAt: now,
      state: 'idle',
    };
    await this.catalog.create(record);
    if (project !== undefined && (await this.projects.get(project.name)) === undefined) {
      // The project was deleted between the look-up and the insert: the space goes too.
      await this.catalog.delete(record.name);
      throw projectNotFound(project.name);
    }
    return spaceView(record);
  }

  /** The record of a project a space is created in; `NOT_FOUND` when there is none. */
  private async existingProject(name: string): Promise<ProjectRecord> {
    const project = await this.projects.get(name);
    if (project === undefined) throw projectNotFound(name);
    return project;
  }

  /**
   * A page of the spaces the caller can see, by name. Pages of the catalogue are filtered
   * until the page is full, so a scoped key can neither list nor count what lies outside its grants.
   */
  async list(query: unknown = {}, call: CallContext = {}): Promise<Page<Space>> {
    const principal = principalOf(call);
    const { prefix, project, limit, cursor } = parseWith(SpaceListQuerySchema, query, 'space listing');
    const items: Space[] = [];
    let after = cursor;
    for (;;) {
      const rows =
        project === undefined
          ? await this.catalog.list({ prefix, after, limit: LIST_SCAN_PAGE })
          : await this.projects.spaces(project, { after, limit: LIST_SCAN_PAGE });
      for (const record of rows) {
        if (prefix !== undefined && !spaceKey(record.name).startsWith(spaceKey(prefix))) continue;
        if (!this.gate.guard.canSee(principal, record.name, record.project)) continue;
        // One visible space past the page says there is a next page; it is not shown.
        if (items.length === limit) return { items, nextCursor: items[limit - 1]!.name };
        items.push(this.withState(record));
      }
      if (rows.length < LIST_SCAN_PAGE) return { items, nextCursor: null };
      after = rows[rows.length - 1]!.name;
    }
  }

  /** A space's record with its storage figures. */
  async get(name: string, call: CallContext = {}): Promise<SpaceInfo> {
    return this.gate.use(name, 'read', call, async ({ record, store }) => {
      const stats = await store.stats();
      return { ...this.withState(record), stats: { ...stats, lastWriteAt: stats.lastWriteAt === null ? null : iso(stats.lastWriteAt) } };
    });
  }

  /**
   * Changes a space's description, isolation, sensitivity, retention, quotas, consolidation or
   * feedback settings or labels, and records a `space.update` audit entry in that space naming the fields that changed. A
   * setting the patch sets stops following the space's project; `inherit` takes settings from
   * the project again (and follows it from then on).
   */
  async update(name: string, input: unknown, call: CallContext = {}): Promise<Space> {
    await this.gate.authorize(name, 'admin', call);
    const patch = parseWith(SpacePatchSchema, input, 'space update');
    const current = await this.gate.registry.record(name);
    const next: SpaceRecord = {
      ...current,
      ...definedOnly({ description: patch.description, isolation: patch.isolation, sensitivity: patch.sensitivity, retentionDays: patch.retentionDays, labels: patch.labels }),
      quotas: { ...current.quotas, ...patch.quotas },
      consolidation: { ...current.consolidation, ...definedOnly(patch.consolidation ?? {}) },
      feedback: withFeedbackSettings(current.feedback, patch.feedback),
      inherited: current.inherited.filter((s) => patch[s] === undefined),
      updatedAt: this.gate.now(),
    };
    if (patch.inherit !== undefined) await this.inherit(next, patch.inherit, patch);
    return this.commit(current, next, call, {});
  }

  /**
   * Brings the spaces of `project` that inherit a setting to the project's current defaults:
   * each space that changes gets its `space.update` entry (with `details.project`), as a patch
   * of the space would. Returns how many spaces changed. The caller decided access (admin of
   * the project, which covers its spaces).
   */
  async followProject(project: ProjectRecord, call: CallContext = {}): Promise<number> {
    let changed = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.projects.spaces(project.name, { after, limit: LIST_SCAN_PAGE });
      for (const listed of page) {
        const current = await this.gate.registry.record(listed.name).catch(() => undefined); // deleted meanwhile
        if (current === undefined || current.inherited.length === 0) continue;
        const next: SpaceRecord = { ...current, updatedAt: this.gate.now() };
        for (const setting of current.inherited) Object.assign(next, { [setting]: projectValue(setting, project.defaults) });
        if (INHERITABLE_SETTINGS.every((s) => canonicalJson(current[s]) === canonicalJson(next[s]))) continue;
        await this.commit(current, next, call, { project: project.name });
        changed += 1;
      }
      if (page.length < LIST_SCAN_PAGE) return changed;
      after = page[page.length - 1]!.name;
    }
  }

  /** Sets `settings` of `next` to its project's values and marks them inherited; refused for a space of no project or a setting also set. */
  private async inherit(next: SpaceRecord, settings: readonly InheritableSetting[], patch: Partial<Record<InheritableSetting, unknown>>): Promise<void> {
    const invalid = (message: string): MemspaceError => new MemspaceError('VALIDATION_FAILED', message, { issues: [{ path: 'inherit', message }] });
    if (next.project === null) throw invalid('the space belongs to no project, so it has nothing to inherit');
    const both = settings.filter((s) => patch[s] !== undefined);
    if (both.length > 0) throw invalid(`${both.join(', ')} cannot be set and inherited at once`);
    const project = await this.projects.get(next.project);
    if (project === undefined) throw invalid(`the space's project "${next.project}" no longer exists`);
    for (const setting of settings) Object.assign(next, { [setting]: projectValue(setting, project.defaults) });
    next.inherited = INHERITABLE_SETTINGS.filter((s) => next.inherited.includes(s) || settings.includes(s));
  }

  /**
   * Records a space's change: a `space.update` entry in its trail naming the fields that
   * changed (with `extra` details), then the catalogue, the registry's copy, and the sweeper
   * when retention got shorter.
   */
  private async commit(current: SpaceRecord, next: SpaceRecord, call: CallContext, extra: JsonObject): Promise<Space> {
    const fields: string[] = [
      ...(['description', 'isolation', 'sensitivity', 'retentionDays', 'labels', 'inherited'] as const).filter((f) => canonicalJson(current[f]) !== canonicalJson(next[f])),
      ...(['maxMemories', 'maxBytes', 'maxRequestsPerSecond'] as const).filter((q) => current.quotas[q] !== next.quotas[q]).map((q) => `quotas.${q}`),
      ...Object.keys(next.consolidation)
        .filter((k) => current.consolidation[k as keyof ConsolidationSettings] !== next.consolidation[k as keyof ConsolidationSettings])
        .map((k) => `consolidation.${k}`),
      ...(['halfLifeDays', 'narrativeRate', 'rank'] as const).filter((k) => canonicalJson(current.feedback[k]) !== canonicalJson(next.feedback[k])).map((k) => `feedback.${k}`),
    ];
    // The catalogue and the space are two databases, so the entry cannot share the change's
    // transaction. It is written first: a crash in between leaves an entry for a change that did
    // not land, never a change without its entry.
    await this.gate.open(next.name, ({ store }) =>
      store.appendAudit({ action: 'space.update', ids: [], details: { fields, ...extra } }, this.gate.writeContext(call, next.updatedAt)),
    );
    await this.catalog.update(next);
    this.gate.registry.refresh(next);
    const shorter = next.retentionDays !== null && (current.retentionDays === null || next.retentionDays < current.retentionDays);
    if (shorter) await this.hooks.onRetentionShortened?.(next.name);
    if (next.isolation !== current.isolation) await this.hooks.onIsolationChanged?.(next.name, next.isolation);
    return this.withState(next);
  }

  /** Deletes a space and every byte of its storage. The `default` space cannot be deleted. */
  async delete(name: string, call: CallContext = {}): Promise<void> {
    await this.gate.authorize(name, 'admin', call);
    const record = await this.gate.registry.record(name);
    if (record.name.toLowerCase() === DEFAULT_SPACE) {
      throw new MemspaceError('VALIDATION_FAILED', 'the default space cannot be deleted', { issues: [{ path: 'space', message: 'default space' }] });
    }
    await this.gate.registry.closeSpace(record.name);
    if (!(await this.catalog.delete(record.name))) {
      throw new MemspaceError('SPACE_NOT_FOUND', `space "${name}" not found`, { space: name });
    }
    await this.hooks.onDeleted?.(record.name);
  }

  /**
   * A page of a space's audit trail, oldest first (newest first with `order: 'desc'`), filtered
   * by `since` (ISO time, inclusive), `action` and `actor`; `cursor` continues after the last
   * entry of the previous page, in the same order. Admins only. The refusals counted in this
   * space so far are written first, so the page holds them.
   */
  async audit(space: string, query: unknown = {}, call: CallContext = {}): Promise<Page<AuditEntry>> {
    const q = parseWith(AuditQuerySchema, query, 'audit query');
    const newestFirst = q.order === 'desc';
    // A cursor says its direction ('a' after, 'b' before), so one of the other order is refused, not misread.
    const position = q.cursor === undefined ? undefined : decodeCursor(newestFirst ? 'b' : 'a', q.cursor);
    await this.authorizeTrail(space, call);
    return this.gate.open(space, async ({ store }) => {
      const [afterSeq, beforeSeq] = newestFirst ? [undefined, position] : [position, undefined];
      const filters = definedOnly({ afterSeq, beforeSeq, since: q.since, action: q.action, actor: q.actor });
      const rows = await store.auditEntries({ ...filters, newestFirst, limit: q.limit + 1 });
      const more = rows.length > q.limit;
      const page = more ? rows.slice(0, q.limit) : rows;
      return { items: page.map(auditView), nextCursor: more ? encodeCursor(newestFirst ? 'b' : 'a', page[page.length - 1]!.seq) : null };
    });
  }

  /**
   * Recomputes a space's whole audit hash chain, the refusals counted so far included; a broken
   * chain is a result, not an error. Admins only.
   */
  async verifyAudit(space: string, call: CallContext = {}): Promise<AuditVerification> {
    await this.authorizeTrail(space, call);
    return this.gate.open(space, ({ store }) => store.verifyAudit());
  }

  /** Lets an admin of `space` read its trail, once the refusals counted in it are written there. */
  private async authorizeTrail(space: string, call: CallContext): Promise<void> {
    await this.gate.authorize(space, 'admin', call);
    await this.gate.guard.flushRefusals(space);
  }

  /**
   * Records an event that is not a mutation in a space's audit trail (admins only): `event` is
   * `{action, ids?, details?}`; the actions the engine writes itself (`memory.*`, `relation.*`,
   * `space.update`, `import`, ...) are refused, so no caller can forge a mutation's entry.
   */
  async recordAudit(space: string, event: unknown, call: CallContext = {}): Promise<void> {
    const e = parseWith(AuditEventSchema, event, 'audit event');
    await this.gate.authorize(space, 'admin', call);
    await this.gate.record(space, { action: e.action, ids: e.ids, details: e.details as JsonObject | null }, call);
  }

  /** The catalogue says idle or archived; whether a space is open right now only the registry knows. */
  private withState(record: SpaceRecord): Space {
    const view = spaceView(record);
    return record.state === 'idle' && this.gate.registry.isOpen(record.name) ? { ...view, state: 'active' } : view;
  }

  /** The dimension of a new space: the embedder's own, else the one given (which must then agree). */
  private dimensionOf(embedder: string, given: number | undefined): number {
    const known = this.embeddings.dimensionOf(embedder);
    if (known !== undefined && given !== undefined && given !== known) {
      throw new MemspaceError('DIMENSION_MISMATCH', `embedder ${embedder} produces ${known}-dimensional vectors, not ${given}`, { expected: known, actual: given });
    }
    const dimension = known ?? given;
    if (dimension === undefined) {
      throw new MemspaceError('VALIDATION_FAILED', `embedder ${embedder} needs a dimension`, { issues: [{ path: 'dimension', message: 'required for this embedder' }] });
    }
    return dimension;
  }
}

/** A project that does not exist, or that the caller cannot see: the same answer. */
export function projectNotFound(name: string): MemspaceError {
  return new MemspaceError('NOT_FOUND', `project "${name}" not found`, { project: name });
}
