/**
 * The conformance suite: every engine behaviour, run against each storage backend.
 *
 * Adding a backend: write `test/conformance/<backend>.test.ts` that calls
 * `describeBackend('<backend>', factory)`. The factory starts the backend once for the file
 * (a temp directory for SQLite; for PostgreSQL one PGlite server and a database) and returns
 * `open(options)`, which opens a `MemspaceEngine` over that same storage with the given clock and
 * config (for PostgreSQL, `openEngine(loadConfig({ ...options.config, backend: 'postgres',
 * pgUrl }, {}), { now })`), and `cleanup()`, which stops it. Specs share the backend: they
 * create uniquely named spaces (`suite.name`) instead of starting a backend per test.
 *
 * Adding a behaviour: put it in the spec module of its area under `specs/` (or a new module
 * listed in SPECS below). Tests that inspect one backend's files or processes belong in that
 * backend's own tests (test/store/<backend>, test/engine), not here.
 */
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import type { MemspaceEngine } from '../../src/memspace.js';
import type { Backend, BackendFactory, Spec, Suite } from './harness.js';
import { accessSpec } from './specs/access.js';
import { auditSpec } from './specs/audit.js';
import { changeFeedSpec } from './specs/change-feed.js';
import { consolidationScheduleSpec } from './specs/consolidation-schedule.js';
import { consolidationSpec } from './specs/consolidation.js';
import { consolidationModelSpec } from './specs/consolidation-model.js';
import { consolidationStatsSpec } from './specs/consolidation-stats.js';
import { contextsSpec } from './specs/contexts.js';
import { decaySpec } from './specs/decay.js';
import { federationsSpec } from './specs/federations.js';
import { feedbackSpec } from './specs/feedback.js';
import { isolationSpec } from './specs/isolation.js';
import { memoriesSpec } from './specs/memories.js';
import { projectsSpec } from './specs/projects.js';
import { quotasRetentionSpec } from './specs/quotas-retention.js';
import { readSessionsSpec } from './specs/read-sessions.js';
import { relationsSpec } from './specs/relations.js';
import { routingSpec } from './specs/routing.js';
import { searchSpec } from './specs/search.js';
import { searchSignalsSpec } from './specs/search-signals.js';
import { spacesSpec } from './specs/spaces.js';
import { splitMergeSpec } from './specs/split-merge.js';
import { transferSpec } from './specs/transfer.js';

export type { Backend, BackendFactory, OpenOptions, Suite } from './harness.js';

/** Every spec module, in the order they run. */
const SPECS: readonly Spec[] = [
  spacesSpec,
  memoriesSpec,
  searchSpec,
  searchSignalsSpec,
  feedbackSpec,
  relationsSpec,
  contextsSpec,
  auditSpec,
  quotasRetentionSpec,
  changeFeedSpec,
  transferSpec,
  isolationSpec,
  accessSpec,
  readSessionsSpec,
  federationsSpec,
  projectsSpec,
  consolidationSpec,
  consolidationModelSpec,
  consolidationStatsSpec,
  consolidationScheduleSpec,
  decaySpec,
  routingSpec,
  splitMergeSpec,
];

/** Registers the whole conformance suite against the backend `init` starts (once for the file). */
export function describeBackend(name: string, init: BackendFactory): void {
  describe(`conformance: ${name}`, () => {
    let backend: Backend | undefined;
    const perTest: MemspaceEngine[] = [];
    let counter = 0;
    const started = (): Backend => {
      if (backend === undefined) throw new Error(`the ${name} backend did not start`);
      return backend;
    };

    beforeAll(async () => {
      backend = await init();
    });
    afterEach(async () => {
      for (const ms of perTest.splice(0)) await ms.close();
    });
    afterAll(async () => {
      await backend?.cleanup();
    });

    const suite: Suite = {
      async open(options) {
        const ms = await started().open(options);
        perTest.push(ms);
        return ms;
      },
      shared(options) {
        let ms: MemspaceEngine | undefined;
        beforeAll(async () => {
          ms = await started().open(options);
        });
        afterAll(async () => {
          await ms?.close();
        });
        return () => {
          if (ms === undefined) throw new Error('shared memspace used outside its describe');
          return ms;
        };
      },
      name(prefix = 's') {
        return `${prefix}-${++counter}`;
      },
    };
    for (const spec of SPECS) spec(suite);
  });
}
