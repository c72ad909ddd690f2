import { definedOnly } from '../core/defined.js';
import { changeView } from '../core/views.js';
import { LOCAL_PRINCIPAL } from '../engine/access-guard.js';
import type { Memspace } from '../memspace.js';
import type { CliBackend } from './backend.js';
import { CLI_CALL } from './cli-context.js';
import { localSource } from './status.js';

/**
 * The calls of the command line on a data directory: the engine, as the local operator (who
 * holds the directory, so may do anything), with writes recorded as actor `cli`. `open` opens
 * the memspace on first use, so that a command that fails on its arguments opens nothing.
 */
export function localBackend(open: () => Promise<Memspace>, where: string): CliBackend {
  const ms = open;
  return {
    where,
    remote: false,
    spaces: {
      create: async (input) => (await ms()).spaces.create(input),
      list: async (query) => (await ms()).spaces.list(query),
      get: async (name) => (await ms()).spaces.get(name),
      update: async (name, patch) => (await ms()).spaces.update(name, patch, CLI_CALL),
      delete: async (name) => (await ms()).spaces.delete(name),
      archive: async (name) => (await ms()).lifecycle.archive(name, CLI_CALL),
      restore: async (name) => (await ms()).lifecycle.restore(name, CLI_CALL),
      // Run to the end in this process: killed half-way, the same command finishes the work.
      split: async (name, input, progress) => (await ms()).splits.split(name, input, CLI_CALL, progress),
      merge: async (input, progress) => (await ms()).splits.merge(input, CLI_CALL, progress),
    },
    memories: memoryCalls(ms),
    transfer: {
      async *exportSpace(space, progress) {
        yield* (await ms()).transfer.exportSpace(space, progress);
      },
      importSpace: async (space, lines, progress) => (await ms()).transfer.importSpace(space, lines, progress),
    },
    audit: {
      list: async (space, query) => (await ms()).spaces.audit(space, query),
      verify: async (space) => (await ms()).spaces.verifyAudit(space),
    },
    keys: {
      create: async (input) => (await ms()).keys.create(input, CLI_CALL),
      list: async () => (await ms()).keys.list(CLI_CALL),
      revoke: async (id) => (await ms()).keys.revoke(id, CLI_CALL),
    },
    sweep: {
      space: async (name) => (await ms()).sweeper.sweepSpace(name),
      all: async (progress) => (await ms()).sweeper.sweep({ onProgress: progress }),
    },
    ...engineCalls(ms),
    route: async (text, options) => (await ms()).route.route({ text, ...options }, CLI_CALL),
    async *events(space, after, signal) {
      const feed = await (await ms()).changes.follow(space, after, { signal }, CLI_CALL);
      for await (const record of feed) yield changeView(record);
    },
    status: () => lazySource(ms),
    async whoami() {
      const memspace = await ms();
      let visibleSpaces = 0;
      let cursor: string | undefined;
      do {
        const page = await memspace.spaces.list(definedOnly({ limit: 1000, cursor }));
        visibleSpaces += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      const { keyId, name, grants } = LOCAL_PRINCIPAL;
      return { id: keyId, name, grants: [...grants], defaultSpace: null, visibleSpaces };
    },
    // The operator of a data directory names the space of every command: there is no key to change.
    setDefaultSpace: async () => undefined,
  };
}

/** {@link localSource} of the memspace `open` opens, opened when the first figure is asked for. */
function lazySource(open: () => Promise<Memspace>): ReturnType<typeof localSource> {
  const source = async (): Promise<ReturnType<typeof localSource>> => localSource(await open());
  return {
    async *pages() {
      yield* (await source()).pages();
    },
    spaceHealth: async (name) => (await source()).spaceHealth(name),
    pressure: async () => (await source()).pressure(),
  };
}

/** The memory calls of {@link localBackend}. */
function memoryCalls(ms: () => Promise<Memspace>): CliBackend['memories'] {
  return {
    add: async (space, input) => (await ms()).memories.add(space, input, CLI_CALL),
    get: async (space, id) => (await ms()).memories.get(space, id),
    list: async (space, query) => (await ms()).memories.list(space, query),
    delete: async (space, id) => (await ms()).memories.delete(space, id, CLI_CALL),
    deleteMatching: async (space, filter) => (await ms()).memories.deleteMatching(space, filter, CLI_CALL),
    history: async (space, id) => (await ms()).memories.history(space, id),
    search: async (space, input) => (await (await ms()).search.run(space, input)).results,
    relate: async (space, input) => (await ms()).memories.relate(space, input, CLI_CALL),
    relations: async (space, id, query) => (await ms()).memories.relations(space, id, query),
    unrelate: async (space, relationId) => (await ms()).memories.unrelate(space, relationId, CLI_CALL),
  };
}

/** The calls of {@link localBackend} on feedback, consolidation, projects and federations. */
function engineCalls(ms: () => Promise<Memspace>): Pick<CliBackend, 'feedback' | 'consolidation' | 'projects' | 'federations'> {
  return {
  feedback: {
    feedback: async (space, input) => (await ms()).feedback.record(space, input, CLI_CALL),
    resetFeedback: async (space) => (await ms()).feedback.reset(space, CLI_CALL),
    rerank: async (space, input) => (await ms()).feedback.rerank(space, input, CLI_CALL),
  },
  consolidation: {
    run: async (space, input = {}) => (await ms()).consolidation.run(space, input, CLI_CALL),
    undo: async (space, runId) => (await ms()).consolidation.undo(space, { runId }, CLI_CALL),
  },
  projects: {
    create: async (input) => (await ms()).projects.create(input, CLI_CALL),
    list: async (query = {}) => (await ms()).projects.list(query, CLI_CALL),
    get: async (name) => (await ms()).projects.get(name, CLI_CALL),
    update: async (name, patch) => (await ms()).projects.update(name, patch, CLI_CALL),
    delete: async (name, o) => (await ms()).projects.delete(name, o, CLI_CALL),
  },
  federations: {
    create: async (input) => (await ms()).federations.create(input, CLI_CALL),
    list: async (query = {}) => (await ms()).federations.list(query, CLI_CALL),
    get: async (id) => (await ms()).federations.get(id, CLI_CALL),
    join: async (id, input) => (await ms()).federations.join(id, input, CLI_CALL),
    leave: async (id, space) => (await ms()).federations.leave(id, space, CLI_CALL),
    release: async (id, input) => (await ms()).federations.release(id, input, CLI_CALL),
    releases: async (id, query = {}) => (await ms()).federations.releases(id, query, CLI_CALL),
    ofSpace: async (space) => (await ms()).federations.ofSpace(space, CLI_CALL),
  },
  };
}
