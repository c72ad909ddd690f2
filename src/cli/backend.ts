import type { ConsolidationClient } from '../client/consolidation-client.js';
import type { FederationsApi } from '../client/federations-client.js';
import type { FeedbackCalls } from '../client/feedback-client.js';
import type { MergeInput, SplitInput } from '../client/jobs-client.js';
import type { ProjectsClient } from '../client/projects.js';
import type {
  AuditListQuery,
  KeyCreateInput,
  MemoryCreateInput,
  MemoryListQuery,
  RelationCreateInput,
  RelationListQuery,
  RouteOptions,
  SearchInput,
  SpaceCreateInput,
  SpaceListQuery,
  SpacePatchInput,
} from '../client/types.js';
import type { WhoAmI } from '../core/grants.js';
import type { RouteAnswer } from '../core/routing.js';
import type { JobProgress, MergeReport, SplitReport } from '../core/space-moves-api.js';
import type { AuditVerification } from '../core/types.js';
import type {
  ArchiveResult,
  AuditEntry,
  ChangeEvent,
  CreatedKey,
  ExportLine,
  HistoryEntry,
  ImportSummary,
  KeyView,
  Memory,
  Page,
  Relation,
  SearchHit,
  Space,
  SpaceInfo,
} from '../core/views.js';
import type { StatusSource } from './status.js';

// One port, two adapters: every command that has an API behind it asks this interface, and the
// command line hands it the data directory (local-backend.ts, the engine as the local operator)
// or a server (http-backend.ts, the SDK with the key of --key). So no command branches on where
// it runs, and both give the same output and the same error codes.

/** Reports how far a long transfer is: `done` of `total` (null when unknown). */
export type Progress = (done: number, total: number | null) => void;

/** What a sweep of every space did: the spaces looked at, the memories deleted, the spaces that failed. */
export interface SweepOutcome {
  spaces: number;
  deleted: number;
  failed: { space: string; code: string }[];
}

/** Who the command line acts as: the key of `--key` on a server, or the local operator (`local`) on a data directory. */
export type CliIdentity = WhoAmI;

/** The calls of the command line, wherever it runs. Every failure is a `MemspaceError`. */
export interface CliBackend {
  /** Where the calls go, for messages: the data directory's path or the server's URL. */
  readonly where: string;
  /** Whether the calls go to a server (then the key's grants decide, not the operator's). */
  readonly remote: boolean;
  readonly spaces: {
    create(input: SpaceCreateInput): Promise<Space>;
    list(query: SpaceListQuery): Promise<Page<Space>>;
    get(name: string): Promise<SpaceInfo>;
    update(name: string, patch: SpacePatchInput): Promise<Space>;
    delete(name: string): Promise<void>;
    archive(name: string): Promise<ArchiveResult>;
    restore(name: string): Promise<Space>;
    /**
     * Splits `name` into a space per tag or metadata value (docs/split-merge.md), to its end:
     * `progress` hears how far it is (on a server, at each look at its job). A dry run answers the plan.
     */
    split(name: string, input: SplitInput, progress: (p: JobProgress) => void): Promise<SplitReport>;
    /** Merges the spaces `input.from` into `input.into`, to its end, as {@link split} does. */
    merge(input: MergeInput, progress: (p: JobProgress) => void): Promise<MergeReport>;
  };
  readonly memories: {
    add(space: string, input: MemoryCreateInput): Promise<Memory>;
    get(space: string, id: string): Promise<Memory>;
    list(space: string, query: MemoryListQuery): Promise<Page<Memory>>;
    delete(space: string, id: string): Promise<void>;
    deleteMatching(space: string, filter: unknown): Promise<{ deleted: number }>;
    history(space: string, id: string): Promise<HistoryEntry[]>;
    search(space: string, input: SearchInput): Promise<SearchHit[]>;
    relate(space: string, input: RelationCreateInput): Promise<Relation>;
    relations(space: string, id: string, query: RelationListQuery): Promise<Relation[]>;
    unrelate(space: string, relationId: string): Promise<void>;
  };
  readonly transfer: {
    /** The space as export lines; `progress` is told how far it is when the backend knows. */
    exportSpace(space: string, progress: Progress): AsyncIterable<ExportLine>;
    /** Imports JSON Lines into `space`, creating it from the first line when missing. */
    importSpace(space: string, lines: AsyncIterable<string>, progress: Progress): Promise<ImportSummary>;
  };
  readonly audit: {
    list(space: string, query: AuditListQuery): Promise<Page<AuditEntry>>;
    verify(space: string): Promise<AuditVerification>;
  };
  readonly keys: {
    create(input: KeyCreateInput): Promise<CreatedKey>;
    list(): Promise<KeyView[]>;
    revoke(id: string): Promise<void>;
  };
  readonly sweep: {
    /** Sweeps one space; the memories deleted. */
    space(name: string): Promise<number>;
    /** Sweeps every space this identity can see, archived ones skipped; `progress` after each. */
    all(progress: (report: SweepOutcome) => void): Promise<SweepOutcome>;
  };
  readonly feedback: FeedbackCalls;
  readonly consolidation: ConsolidationClient;
  /** The SDK's project calls, but a delete tells how many spaces went with the project. */
  readonly projects: Omit<ProjectsClient, 'delete'> & { delete(name: string, options: { cascade: boolean }): Promise<{ spacesDeleted: number }> };
  readonly federations: FederationsApi;
  /** The spaces `text` belongs in, best first, among those this identity can read (docs/routing.md). */
  route(text: string, options: Omit<RouteOptions, 'embedding'>): Promise<RouteAnswer>;
  /** The change feed of `space` after `after`, until `signal` aborts. */
  events(space: string, after: number | 'latest', signal: AbortSignal): AsyncIterable<ChangeEvent>;
  /** The figures of `memspace status`. */
  status(): StatusSource;
  /** Who the calls act as. */
  whoami(): Promise<CliIdentity>;
  /**
   * Makes `space` the one requests that name none go to (null: back to `default`): the key's
   * default space on a server; nothing to change on a data directory, whose operator names
   * every space.
   */
  setDefaultSpace(space: string | null): Promise<void>;
}
