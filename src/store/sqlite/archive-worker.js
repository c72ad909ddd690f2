// Entry of the archive thread (archive-thread.ts). Plain JavaScript, like search-worker.js, so
// that the same file starts from dist/ (beside the compiled archive-job.js) and from src/ in
// tests and `tsx` runs, where the TypeScript beside it is loaded through tsx's loader.
import { existsSync } from 'node:fs';

const compiled = new URL('./archive-job.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./archive-job.ts', import.meta.url).href);
}
