// Entry of a search thread (search-threads.ts). Plain JavaScript, like ann-worker.js, so that
// the same file starts from dist/ (beside the compiled search-replica.js) and from src/ in tests
// and `tsx` runs, where the TypeScript beside it is loaded through tsx's loader.
import { existsSync } from 'node:fs';

const compiled = new URL('./search-replica.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./search-replica.ts', import.meta.url).href);
}
