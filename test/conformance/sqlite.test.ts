import { rmSync } from 'node:fs';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/memspace.js';
import { tempDir } from '../support/temp-memspace.js';
import { describeBackend } from './describe-backend.js';
import type { Backend } from './harness.js';

/** The embedded backend: one temp data directory for the file, every memspace opened over it. */
async function sqliteBackend(): Promise<Backend> {
  const dataDir = tempDir('memspace-conformance-');
  return {
    open: (options = {}) => openEngine(loadConfig({ ...options.config, dataDir }, {}), options.now === undefined ? {} : { now: options.now }),
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describeBackend('sqlite', sqliteBackend);
