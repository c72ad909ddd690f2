// Copies the plain-JavaScript files tsc does not emit (worker entries) from src/ to dist/.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const ASSETS = ['embed/use-worker.js', 'store/sqlite/ann-worker.js', 'store/sqlite/search-worker.js', 'store/sqlite/archive-worker.js'];

for (const asset of ASSETS) {
  mkdirSync(dirname(`dist/${asset}`), { recursive: true });
  copyFileSync(`src/${asset}`, `dist/${asset}`);
}
