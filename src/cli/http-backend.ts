import { MemspaceClient } from '../client/client.js';
import type { JobView, MergeReport, SplitReport } from '../core/space-moves-api.js';
import { definedOnly } from '../core/defined.js';
import { isMemspaceError, MemspaceError } from '../core/errors.js';
import type { CliBackend, SweepOutcome } from './backend.js';
import { remoteSource } from './status.js';

/** Where the command line's server is and the key it sends. */
export interface HttpTarget {
  /** Base URL of the server, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** API key; undefined for a server started with `--no-auth`. */
  key: string | undefined;
}

/**
 * The calls of the command line on a memspace server over HTTP: the SDK, with the key of
 * `--key` (else `MEMSPACE_KEY`). The server's guard decides what the key may do, so a key of
 * one space meets the same `SPACE_NOT_FOUND` for any other as every other client does.
 */
export function httpBackend(target: HttpTarget, client = new MemspaceClient({ baseUrl: target.url, ...definedOnly({ apiKey: target.key }) })): CliBackend {
  const at = (space: string): { space: string } => ({ space });
  return {
    where: target.url,
    remote: true,
    spaces: spaceCalls(client),
    memories: {
      add: (space, input) => client.memories.add(input, at(space)),
      get: (space, id) => client.memories.get(id, at(space)),
      list: (space, query) => client.memories.list(query, at(space)),
      delete: (space, id) => client.memories.delete(id, at(space)),
      // The server validates the filter, as the engine does on a data directory.
      deleteMatching: (space, filter) => client.memories.deleteByFilter(filter as Record<string, unknown>, at(space)),
      history: (space, id) => client.memories.history(id, at(space)),
      search: (space, input) => client.search(input, at(space)),
      relate: (space, input) => client.relations.add(input, at(space)),
      relations: (space, id, query) => client.relations.list(id, query, at(space)),
      unrelate: (space, relationId) => client.relations.delete(relationId, at(space)),
    },
    transfer: {
      // The server does not say how far an export or import is: no progress to report.
      exportSpace: (space) => client.export({ ...at(space), timeoutMs: 0 }),
      importSpace: (space, lines) => client.import(lines, { ...at(space), timeoutMs: 0 }),
    },
    audit: {
      list: (space, query) => client.audit.list(query, at(space)),
      verify: (space) => client.audit.verify(at(space)),
    },
    keys: {
      create: (input) => client.keys.create(input),
      list: () => client.keys.list(),
      revoke: (id) => client.keys.revoke(id),
    },
    sweep: {
      space: async (name) => (await client.spaces.sweep(name)).deleted,
      all: (progress) => sweepAll(client, progress),
    },
    feedback: client,
    consolidation: client.consolidation,
    projects: {
      create: (input) => client.projects.create(input),
      list: (query) => client.projects.list(query),
      get: (name) => client.projects.get(name),
      update: (name, patch) => client.projects.update(name, patch),
      async delete(name, o) {
        // The API answers 204: the count the data directory reports is read just before.
        const spaces = o.cascade ? (await client.projects.get(name)).totals.spaces.total : 0;
        await client.projects.delete(name, o);
        return { spacesDeleted: spaces };
      },
    },
    federations: client.federations,
    route: (text, options) => client.route(text, options),
    async *events(space, after, signal) {
      // The stream reconnects by itself to a server that drops: one that cannot be reached at
      // all fails here instead of being retried forever.
      await client.health({ signal });
      yield* client.events(space, { after, signal });
    },
    status: () => remoteSource(client, target.url),
    whoami: () => client.whoami(),
    async setDefaultSpace(space) {
      // The key changes its own default space: the server checks the space is one its grants read.
      const me = await client.whoami();
      await client.keys.update(me.id, { defaultSpace: space });
    },
  };
}

/** The space calls of {@link httpBackend}: the SDK's, a split or merge followed to its end. */
function spaceCalls(client: MemspaceClient): CliBackend['spaces'] {
  return {
    create: (input) => client.spaces.create(input),
    list: (query) => client.spaces.list(query),
    get: (name) => client.spaces.get(name),
    update: (name, patch) => client.spaces.update(name, patch),
    delete: (name) => client.spaces.delete(name),
    archive: (name) => client.spaces.archive(name),
    restore: (name) => client.spaces.restore(name),
    // The server runs a split or merge as a job: a dry run answers its plan at once.
    split: async (name, input, progress) =>
      input.dryRun === true ? client.spaces.split(name, { ...input, dryRun: true }) : ((await followJob(client, await client.spaces.split(name, input), progress)) as SplitReport),
    merge: async (input, progress) =>
      input.dryRun === true ? client.spaces.merge({ ...input, dryRun: true }) : ((await followJob(client, await client.spaces.merge(input), progress)) as MergeReport),
  };
}

/**
 * Sweeps every space the key can see, a page at a time, as `memspace sweep` does on a data
 * directory: archived spaces skipped, a space that cannot be swept (no admin grant, damaged)
 * reported by its code rather than ending the sweep.
 */
async function sweepAll(client: MemspaceClient, progress: (report: SweepOutcome) => void): Promise<SweepOutcome> {
  const report: SweepOutcome = { spaces: 0, deleted: 0, failed: [] };
  let cursor: string | undefined;
  do {
    const page = await client.spaces.list(definedOnly({ limit: 500, cursor }));
    for (const space of page.items) {
      if (space.state === 'archived') continue;
      report.spaces += 1;
      try {
        report.deleted += (await client.spaces.sweep(space.name)).deleted;
      } catch (error) {
        if (!isMemspaceError(error) || error.code === 'BACKEND_UNAVAILABLE' || error.code === 'UNAUTHENTICATED') throw error;
        report.failed.push({ space: space.name, code: error.code });
      }
      progress(report);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return report;
}

/** Wait between two looks at a job, in ms: often enough for the progress lines to move. */
const JOB_POLL_MS = 200;

/**
 * Follows a split or merge job to its end, telling `progress` where it stands at each look (the
 * lines the data directory prints as batches move, at the pace of the polling), and answers its
 * report. A failed job throws its error, as `client.jobs.waitForJob` turns it into one.
 */
async function followJob(client: MemspaceClient, started: JobView, progress: (p: JobView['progress']) => void): Promise<SplitReport | MergeReport> {
  let job = started;
  while (job.state === 'running') {
    progress(job.progress);
    await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
    job = await client.jobs.get(job.id);
  }
  progress(job.progress);
  const done = await client.jobs.waitForJob(job.id);
  if (done.result === undefined) throw new MemspaceError('INTERNAL', `job ${job.id} succeeded without a report`);
  return done.result;
}
