// vitest global setup: builds the web console into dist/console once per run, so the console's
// tests (and the server's /console) see the sources as they are, not the last `npm run build`.
import { buildConsole } from '../../console/build.js';

export async function setup(): Promise<void> {
  await buildConsole();
}
