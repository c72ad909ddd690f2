import { MemspaceError } from '../core/errors.js';
import { allows, type Role } from '../core/grants.js';
import type { ProjectStore } from '../core/ports/project-store.js';
import { mergeDefaults, ProjectCreateSchema, ProjectDeleteSchema, ProjectListQuerySchema, ProjectPatchSchema } from '../core/project-schemas.js';
import { validateSpaceName } from '../core/space-name.js';
import type { ProjectRecord, SpaceRecord } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { projectView, type Page, type Project, type ProjectInfo } from '../core/views.js';
import { principalOf, type CallContext } from './access-guard.js';
import type { SpaceGate } from './space-gate.js';
import { projectNotFound, type SpaceService } from './space-service.js';

/** Spaces read per page while adding up a project's figures or deleting its spaces. */
const SPACE_PAGE = 500;
/** Catalogue rows read per page while filtering a listing by the caller's grants. */
const LIST_SCAN_PAGE = 1000;

/**
 * Projects: named groups of spaces with an owner, labels, defaults their spaces inherit and
 * quotas across them. A project is reached with a grant on it (`{project, role}`) or the grant
 * of every name; one the caller cannot see is `NOT_FOUND`, exactly as a missing one.
 */
export class ProjectService {
  constructor(
    private readonly gate: SpaceGate,
    private readonly projects: ProjectStore,
    private readonly spaces: SpaceService,
  ) {}

  /**
   * Creates a project: needs admin over it (a grant on the project, or over every name),
   * decided on the name alone. Its owner is the caller's key.
   */
  async create(input: unknown, call: CallContext = {}): Promise<Project> {
    const principal = principalOf(call);
    const name = (input as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && !allows(this.gate.guard.roleInProject(principal, name), 'admin')) {
      throw new MemspaceError('FORBIDDEN', `this key may not create project "${name}"`, { project: name });
    }
    const spec = parseWith(ProjectCreateSchema, input, 'project');
    validateSpaceName(spec.name);
    const now = this.gate.now();
    const record: ProjectRecord = {
      name: spec.name,
      description: spec.description,
      owner: principal.keyId,
      labels: spec.labels,
      defaults: mergeDefaults({}, spec.defaults),
      quotas: spec.quotas,
      createdAt: now,
      updatedAt: now,
    };
    await this.projects.create(record);
    return projectView(record);
  }

  /** A page of the projects the caller can see, by name. */
  async list(query: unknown = {}, call: CallContext = {}): Promise<Page<Project>> {
    const principal = principalOf(call);
    const { prefix, limit, cursor } = parseWith(ProjectListQuerySchema, query, 'project listing');
    const items: Project[] = [];
    let after = cursor;
    for (;;) {
      const rows = await this.projects.list({ prefix, after, limit: LIST_SCAN_PAGE });
      for (const record of rows) {
        if (this.gate.guard.roleInProject(principal, record.name) === undefined) continue;
        // One visible project past the page says there is a next page; it is not shown.
        if (items.length === limit) return { items, nextCursor: items[limit - 1]!.name };
        items.push(projectView(record));
      }
      if (rows.length < LIST_SCAN_PAGE) return { items, nextCursor: null };
      after = rows[rows.length - 1]!.name;
    }
  }

  /**
   * A project with its totals across its spaces: memories, payload and disk bytes, spaces by
   * state, and how much of its quotas is used. Needs read on the project itself (a grant on one
   * of its spaces is not enough).
   */
  async get(name: string, call: CallContext = {}): Promise<ProjectInfo> {
    const project = await this.authorized(name, 'read', call);
    const totals: ProjectInfo['totals'] = { memories: 0, payloadBytes: 0, diskBytes: 0, spaces: { total: 0, active: 0, idle: 0, archived: 0, damaged: 0 } };
    await this.eachSpace(project.name, async (record) => {
      const figures = await this.figures(record);
      totals.spaces.total += 1;
      totals.spaces[figures.state] += 1;
      totals.memories += figures.memories;
      totals.payloadBytes += figures.payloadBytes;
      totals.diskBytes += figures.bytes;
    });
    return {
      ...projectView(project),
      totals,
      quotaUse: {
        maxMemories: { used: totals.memories, limit: project.quotas.maxMemories },
        maxBytes: { used: totals.payloadBytes, limit: project.quotas.maxBytes },
      },
    };
  }

  /**
   * Changes a project's description, labels, defaults or quotas (admins of the project). The
   * spaces that inherit a default whose value changed follow at once, each with its own
   * `space.update` audit entry; a shorter retention is swept at once, as a space's own change is.
   */
  async update(name: string, input: unknown, call: CallContext = {}): Promise<Project> {
    const current = await this.authorized(name, 'admin', call);
    const patch = parseWith(ProjectPatchSchema, input, 'project update');
    const next: ProjectRecord = {
      ...current,
      description: patch.description ?? current.description,
      labels: patch.labels ?? current.labels,
      defaults: patch.defaults === undefined ? current.defaults : mergeDefaults(current.defaults, patch.defaults),
      quotas: { ...current.quotas, ...patch.quotas },
      updatedAt: this.gate.now(),
    };
    await this.projects.update(next);
    if (patch.defaults !== undefined) await this.spaces.followProject(next, call);
    return projectView(next);
  }

  /**
   * Deletes a project (admins of the project). While it holds spaces it is `CONFLICT` with
   * `details.spaces`, unless `cascade` is set: then each space is deleted first (as a space's
   * own deletion, after a `project.delete` entry in its trail, which goes with it but is what
   * an export taken meanwhile or a trail mirrored elsewhere shows).
   */
  async delete(name: string, options: unknown = {}, call: CallContext = {}): Promise<{ spacesDeleted: number }> {
    const { cascade } = parseWith(ProjectDeleteSchema, options, 'project deletion');
    const project = await this.authorized(name, 'admin', call);
    let spacesDeleted = 0;
    if (cascade) {
      for (;;) {
        const page = await this.projects.spaces(project.name, { limit: SPACE_PAGE });
        if (page.length === 0) break;
        for (const space of page) {
          await this.gate.record(space.name, { action: 'project.delete', ids: [], details: { project: project.name, cascade: true } }, call).catch(() => undefined);
          await this.spaces.delete(space.name, call);
          spacesDeleted += 1;
        }
      }
    } else {
      const spaces = await this.projects.countSpaces(project.name);
      if (spaces > 0) {
        throw new MemspaceError('CONFLICT', `project "${project.name}" still holds ${spaces} spaces; delete them first or pass cascade`, { project: project.name, spaces });
      }
    }
    if (!(await this.projects.delete(project.name))) throw projectNotFound(name);
    return { spacesDeleted };
  }

  /**
   * The project once the caller holds `role` on it. One it cannot see is `NOT_FOUND` before
   * anything is looked up; a visible one with too small a role is `FORBIDDEN`.
   */
  private async authorized(name: string, role: Role, call: CallContext): Promise<ProjectRecord> {
    const held = this.gate.guard.roleInProject(principalOf(call), name);
    if (held === undefined) throw projectNotFound(name);
    if (!allows(held, role)) throw new MemspaceError('FORBIDDEN', `this key may ${held} in project "${name}" but not ${role}`, { project: name, role: held, needed: role });
    const project = await this.projects.get(name);
    if (project === undefined) throw projectNotFound(name);
    return project;
  }

  private async eachSpace(project: string, fn: (record: SpaceRecord) => Promise<void>): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.projects.spaces(project, { after, limit: SPACE_PAGE });
      for (const record of page) await fn(record);
      if (page.length < SPACE_PAGE) return;
      after = page[page.length - 1]!.name;
    }
  }

  /**
   * A space's figures as health and status read them: an open space's store, else its files
   * (an archived space, its archive); storage that cannot be read is `damaged` and counts nothing.
   */
  private async figures(record: SpaceRecord): Promise<{ state: SpaceRecord['state']; memories: number; payloadBytes: number; bytes: number }> {
    const registry = this.gate.registry;
    const live = await registry.ifOpen(record.name, ({ store }) => store.stats());
    if (live !== undefined) return { state: 'active', memories: live.memories, payloadBytes: live.payloadBytes, bytes: live.bytes };
    try {
      const closed = await registry.backend.spaces.inspect(record);
      return { state: record.state === 'active' ? 'idle' : record.state, memories: closed.memories, payloadBytes: closed.payloadBytes, bytes: closed.bytes };
    } catch {
      return { state: 'damaged', memories: 0, payloadBytes: 0, bytes: 0 };
    }
  }
}
