import { MemspaceError } from '../core/errors.js';
import { checkTargets, SAMPLE, splitKeyOf } from '../core/space-split.js';
import { MergeRequestSchema, SplitRequestSchema, type JobProgress, type JobView, type MergeReport, type SplitReport } from '../core/space-moves-api.js';
import { spaceKey, validateSpaceName } from '../core/space-name.js';
import type { SpaceRecord, WriteContext } from '../core/types.js';
import { parseWith } from '../core/validate.js';
import { spaceView } from '../core/views.js';
import { principalOf, type CallContext } from './access-guard.js';
import { JobBoard } from './jobs.js';
import { conflict, sameVectors, SpaceMover, type MoveSet, type MoveStep } from './space-moves.js';
import { moveGroup, scanGroups, scanIds, scanRelations, splitSets } from './space-split-plan.js';
import type { SpaceEmbeddings } from './space-embeddings.js';
import type { SpaceGate } from './space-gate.js';
import type { SpaceService } from './space-service.js';

/** Told as a split or merge proceeds. */
export type ProgressListener = (progress: JobProgress) => void;

/** A planned split or merge: the report so far and the moves it makes. */
interface Plan<R extends SplitReport | MergeReport> {
  report: R;
  sets: MoveSet[];
  /** The source record of each move, by name. */
  sources: Map<string, SpaceRecord>;
  /** The settings a missing target is created with: those of this space. */
  template: SpaceRecord;
}

/**
 * Splits a space into one space per tag or metadata value, and merges spaces into one
 * (docs/split-merge.md). Planned whole before anything moves (names, grants, ambiguous memories,
 * id collisions are refused then); each move is resumable (engine/space-moves.ts), so a split
 * killed at any point is finished by running it again. Admin of the source and of every
 * target is needed; a missing target is created as space creation allows, with the source's
 * settings. Audited in every space concerned, with names and counts only.
 */
export class SpaceSplitService {
  /** The jobs of this process. */
  readonly jobs: JobBoard;
  private readonly mover: SpaceMover;
  /** Spaces (by key) a split or merge of this process is moving memories of or into. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly gate: SpaceGate,
    embeddings: SpaceEmbeddings,
    private readonly spaces: SpaceService,
  ) {
    this.jobs = new JobBoard(gate.now);
    this.mover = new SpaceMover(gate.registry, embeddings);
  }

  /** Runs a split to its end (or, with `dryRun`, returns its plan). */
  async split(source: string, input: unknown, call: CallContext = {}, onProgress?: ProgressListener): Promise<SplitReport> {
    const plan = await this.planSplit(source, input, call);
    return plan.report.dryRun ? plan.report : this.claim(plan)(this.execute(plan, call, onProgress));
  }

  /** Runs a merge to its end (or, with `dryRun`, returns its plan). */
  async merge(input: unknown, call: CallContext = {}, onProgress?: ProgressListener): Promise<MergeReport> {
    const plan = await this.planMerge(input, call);
    return plan.report.dryRun ? plan.report : this.claim(plan)(this.execute(plan, call, onProgress));
  }

  /**
   * Plans a split now (so bad input, names, grants and conflicts are refused at once) and runs
   * it as a job; a dry run is not a job and answers its plan.
   */
  async startSplit(source: string, input: unknown, call: CallContext = {}): Promise<JobView | SplitReport> {
    const plan = await this.planSplit(source, input, call);
    if (plan.report.dryRun) return plan.report;
    const release = this.claim(plan);
    return this.jobs.start('split', principalOf(call), (progress) => release(this.execute(plan, call, progress)), totalOf(plan));
  }

  /** {@link startSplit} for a merge. */
  async startMerge(input: unknown, call: CallContext = {}): Promise<JobView | MergeReport> {
    const plan = await this.planMerge(input, call);
    if (plan.report.dryRun) return plan.report;
    const release = this.claim(plan);
    return this.jobs.start('merge', principalOf(call), (progress) => release(this.execute(plan, call, progress)), totalOf(plan));
  }

  /**
   * Claims every space of a plan for its run: a second split or merge touching one of them
   * while it runs in this process is `CONFLICT` (two runs would copy the same memories at
   * once). Returns what releases them once the run, given as its promise, settles.
   */
  private claim(plan: Plan<SplitReport | MergeReport>): <T>(run: Promise<T>) => Promise<T> {
    const names = [...new Set(plan.sets.flatMap((s) => [spaceKey(s.group.from), spaceKey(s.group.to)]))];
    const taken = names.filter((n) => this.busy.has(n));
    if (taken.length > 0) throw new MemspaceError('CONFLICT', `a split or merge of ${taken.join(', ')} is running; wait for it (or for its job) to end`, { spaces: taken });
    for (const n of names) this.busy.add(n);
    return (run) => run.finally(() => names.forEach((n) => this.busy.delete(n)));
  }

  /** A job of the caller (or any, for the root key); `NOT_FOUND` otherwise. */
  job(id: string, call: CallContext = {}): JobView {
    return this.jobs.get(id, principalOf(call));
  }

  private async planSplit(source: string, input: unknown, call: CallContext): Promise<Plan<SplitReport>> {
    const request = parseWith(SplitRequestSchema, input, 'split');
    validateSpaceName(source);
    await this.gate.authorize(source, 'admin', call);
    const record = await this.gate.registry.record(source);
    const key = splitKeyOf(request);
    const scan = await scanGroups(this.gate.registry, record.name, key);
    const targets = new Map<string, SpaceRecord | undefined>();
    const { sets, dropped } = await splitSets(this.gate.registry, record, key, scan);
    checkTargets(record.name, sets.map((s) => ({ value: s.group.value, target: s.group.to })));
    for (const set of sets) targets.set(set.group.to, await this.authorizeTarget(set.group.to, record, call));
    for (const set of sets) set.group.exists = targets.get(set.group.to) !== undefined;
    const by = request.byTag !== undefined ? { tag: request.byTag, stripPrefix: request.stripPrefix } : { metadata: request.byMetadata! };
    const report: SplitReport = { kind: 'split', dryRun: request.dryRun, source: record.name, by, groups: sets.map((s) => s.group), ungrouped: scan.ungrouped, ambiguous: scan.ambiguous, droppedRelations: dropped };
    if (!request.dryRun && scan.ambiguous.count > 0) {
      const sample = scan.ambiguous.sample.map((a) => `${a.id} (${a.groups.join(', ')})`);
      throw new MemspaceError('CONFLICT', `${scan.ambiguous.count === 1 ? '1 memory has' : `${scan.ambiguous.count} memories have`} several matching tags, so the split cannot choose a space: ${sample.slice(0, 3).join('; ')}; give each one tag, or see them all with a dry run`, {
        ambiguous: scan.ambiguous,
      });
    }
    const plan = { report, sets, sources: new Map([[record.name, record]]), template: record };
    await this.preflight(plan, targets);
    return plan;
  }

  private async planMerge(input: unknown, call: CallContext): Promise<Plan<MergeReport>> {
    const request = parseWith(MergeRequestSchema, input, 'merge');
    const into = validateSpaceName(request.into);
    const from = request.from.map((name) => validateSpaceName(name));
    const keys = [into, ...from].map(spaceKey);
    if (new Set(keys).size !== keys.length) {
      throw new MemspaceError('VALIDATION_FAILED', 'a merge names each space once, and never its target among its sources', { issues: [{ path: 'from', message: 'repeated space' }] });
    }
    const sources = new Map<string, SpaceRecord>();
    for (const name of from) {
      await this.gate.authorize(name, 'admin', call);
      sources.set(name, await this.gate.registry.record(name));
    }
    const template = sources.get(from[0]!)!;
    const target = await this.authorizeTarget(into, template, call);
    const sets: MoveSet[] = [];
    const owner = new Map<string, string>();
    const collisions: string[] = [];
    for (const [name, record] of sources) {
      const ids = await scanIds(this.gate.registry, record.name);
      for (const id of ids) {
        if (owner.has(id)) collisions.push(id);
        else owner.set(id, name);
      }
      const relations = await scanRelations(this.gate.registry, record.name);
      sets.push({ group: moveGroup(record.name, record.name, into, target !== undefined, ids.length, relations.length), ids, relations });
    }
    if (collisions.length > 0) {
      throw new MemspaceError('CONFLICT', `${collisions.length} memory ids are in more than one of the spaces to merge (first: ${collisions.slice(0, 3).join(', ')})`, {
        count: collisions.length,
        ids: collisions.slice(0, SAMPLE),
      });
    }
    const report: MergeReport = { kind: 'merge', dryRun: request.dryRun, into, groups: sets.map((s) => s.group) };
    const plan = { report, sets, sources, template };
    await this.preflight(plan, new Map([[into, target]]));
    return plan;
  }

  /**
   * Admin over a target that exists; for a missing one, the right to create it (as space
   * creation decides: on the names alone). Returns the target's record, undefined when missing.
   */
  private async authorizeTarget(target: string, template: SpaceRecord, call: CallContext): Promise<SpaceRecord | undefined> {
    const principal = principalOf(call);
    const guard = this.gate.guard;
    const role = await guard.roleOf(principal, target);
    // Decided on the names first, as space creation is, so a refusal reveals nothing of what exists.
    if (role !== undefined) await guard.authorize(principal, target, 'admin', call);
    else guard.authorizeCreate(principal, target, template.project);
    const record = await this.gate.registry.record(target).catch((error: unknown) => {
      if (error instanceof MemspaceError && error.code === 'SPACE_NOT_FOUND') return undefined;
      throw error;
    });
    if (record === undefined && role !== undefined) guard.authorizeCreate(principal, target, template.project);
    // A key that may create the name but cannot see the space there: the name is taken, as creating it would say.
    if (record !== undefined && role === undefined) throw new MemspaceError('CONFLICT', `space "${target}" already exists`, { space: target });
    return record;
  }

  /** Refuses, before anything moves, ids a target holds with other content, and moves a target could not embed. */
  private async preflight(plan: Plan<SplitReport | MergeReport>, targets: Map<string, SpaceRecord | undefined>): Promise<void> {
    for (const set of plan.sets) {
      const source = plan.sources.get(set.group.from)!;
      const target = targets.get(set.group.to);
      const vectors = target ?? plan.template;
      if (!sameVectors(source, vectors) && vectors.embedder === 'none') {
        throw new MemspaceError('VALIDATION_FAILED', `space "${set.group.to}" has no embedder, and the vectors of "${source.name}" (${source.embedder}) do not fit it`, {
          issues: [{ path: 'into', message: 'embedder none cannot embed anew' }],
        });
      }
      const conflicts = await this.mover.preflight(set, source, target);
      if (conflicts.length > 0) throw conflict(set.group.to, conflicts);
    }
  }

  /**
   * Runs every move of a plan: each target made, copied into and verified, with its entry in
   * the target's trail; then the entries in the sources; only then are the sources' copies
   * deleted. Each entry is written before the deletions it tells of, so a run killed in between
   * leaves an entry more (the next run writes its own), never a move without one.
   */
  private async execute<R extends SplitReport | MergeReport>(plan: Plan<R>, call: CallContext, onProgress?: ProgressListener): Promise<R> {
    const total = totalOf(plan);
    let done = 0;
    const progress = (phase: JobProgress['phase']): void => onProgress?.({ done, total, phase });
    const step: MoveStep = (s) => {
      if (s.phase === 'removing') done += s.count;
      progress(s.phase === 'relations' ? 'copying' : s.phase);
    };
    const ctx = (): WriteContext => this.gate.writeContext(call, this.gate.now());
    const split = plan.report.kind === 'split';
    for (const set of plan.sets) {
      const source = plan.sources.get(set.group.from)!;
      const target = await this.ensureTarget(set.group.to, plan.template, call);
      await this.mover.copy(set, source, target, ctx, step);
      progress('verifying');
      await this.mover.verify(set, source, target);
      const { copied, alreadyThere, checksum } = set.group;
      const details = { source: source.name, memories: set.ids.length, relations: set.relations.length, copied, alreadyThere, checksum };
      await this.gate.record(target.name, { action: split ? 'space.split.in' : 'space.merge.in', ids: [], details }, call);
    }
    if (plan.sets.length > 0) await this.recordSources(plan, call);
    for (const set of plan.sets) {
      await this.mover.remove(set, plan.sources.get(set.group.from)!, ctx, step);
      done += set.ids.length - set.group.removed; // removed by an earlier run: moved all the same
    }
    progress('done');
    return plan.report;
  }

  /** The entries of a run in its sources' trails: `space.split` with its groups, or `space.merge` in each source; names and counts only. */
  private async recordSources(plan: Plan<SplitReport | MergeReport>, call: CallContext): Promise<void> {
    const report = plan.report;
    if (report.kind === 'split') {
      const groups = report.groups.map((g) => ({ value: g.value, space: g.to, memories: g.memories, relations: g.relations }));
      await this.gate.record(report.source, { action: 'space.split', ids: [], details: { groups, ungrouped: report.ungrouped, droppedRelations: report.droppedRelations.count } }, call);
      return;
    }
    for (const set of plan.sets) {
      await this.gate.record(set.group.from, { action: 'space.merge', ids: [], details: { into: report.into, memories: set.ids.length, relations: set.relations.length } }, call);
    }
  }

  /** The target's record, creating the space with the template's settings when missing. */
  private async ensureTarget(name: string, template: SpaceRecord, call: CallContext): Promise<SpaceRecord> {
    const existing = await this.gate.registry.record(name).catch(() => undefined);
    if (existing !== undefined) return existing;
    const view = spaceView(template);
    // Settings a project's space inherits stay inherited, so the target follows the project as the source does.
    const own = ['isolation', 'sensitivity', 'retentionDays', 'quotas', 'consolidation'].filter((s) => !template.inherited.includes(s as never));
    const keep = [...own, 'description', 'feedback', 'labels', 'embedder', 'dimension', 'encryption'];
    const settings = Object.fromEntries(Object.entries(view).filter(([k]) => keep.includes(k)));
    try {
      await this.spaces.create({ ...settings, name, ...(template.project !== null && { project: template.project }) }, call);
    } catch (error) {
      if (!(error instanceof MemspaceError && error.code === 'CONFLICT')) throw error; // made meanwhile, by a run before
    }
    return this.gate.registry.record(name);
  }
}

/** How many memories a plan moves. */
function totalOf(plan: Plan<SplitReport | MergeReport>): number {
  return plan.sets.reduce((n, s) => n + s.ids.length, 0);
}
