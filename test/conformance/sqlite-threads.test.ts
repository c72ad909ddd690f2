import { rmSync } from 'node:fs';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';
import { tempDir } from '../support/temp-memspace.js';
import { describeBackend } from './describe-backend.js';
import type { Backend } from './harness.js';

/** The embedded backend with searches in two search threads, as `memspace serve --workers 2` runs it. */
async function sqliteThreadsBackend(): Promise<Backend> {
  const dataDir = tempDir('memspace-conformance-threads-');
  return {
    open: (options = {}) => openEngine(loadConfig({ workers: 2, ...options.config, dataDir }, {}), options.now === undefined ? {} : { now: options.now }),
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describeBackend('sqlite, search threads', sqliteThreadsBackend);
