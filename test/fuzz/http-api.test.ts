import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemsOf } from '../support/fuzz-checks.js';
import { sendRaw } from '../support/fuzz-http.js';
import { describeRequest, fuzzCases, operationsOf, type FuzzCase } from '../support/fuzz-requests.js';
import { CANARY, sseResult, startFuzzTarget, type FuzzBackend, type FuzzTarget } from '../support/fuzz-target.js';

/**
 * Property-based fuzzing of the HTTP API, through a listening server with authentication on.
 * Every operation of the served /openapi.json gets generated requests: path parameters
 * (space names valid, invalid, escaped, dotted, very long, in Unicode), query strings, the space
 * header and its alias, credentials, and bodies both valid for the operation's schema and broken
 * (wrong types, missing and extra fields, huge and deep values, lone surrogates, not JSON, the
 * wrong content type). The requests come from an attacker's keys, which reach the `atk` spaces
 * only; a victim's data, marked with a canary, sits in `victim` and `default`.
 *
 * Properties: no answer is a 5xx; every error is exactly `{error:{code,message,details?}}` with a
 * listed code and its status; no answer holds the canary; at the end the server is up and the
 * victim's data is as it was, and still served to the victim.
 *
 * `MEMSPACE_FUZZ_RUNS` sets the requests on the embedded backend (PostgreSQL gets a quarter);
 * `MEMSPACE_FUZZ_SEED` replays another sequence. `npm run fuzz` runs many more than `npm test`.
 */

const RUNS = Number(process.env['MEMSPACE_FUZZ_RUNS'] ?? 500);
const SEED = Number(process.env['MEMSPACE_FUZZ_SEED'] ?? 17);

const TARGETS: { backend: FuzzBackend; runs: number }[] = [
  { backend: 'embedded', runs: RUNS },
  { backend: 'pglite', runs: Math.ceil(RUNS / 4) },
  { backend: 'postgres', runs: Math.ceil(RUNS / 4) },
];

describe.each(TARGETS)('fuzzing the HTTP API on $backend', ({ backend, runs }) => {
  let target: FuzzTarget;
  let victimBefore: unknown;

  beforeAll(async () => {
    target = await startFuzzTarget(backend);
    victimBefore = await target.victimState();
  }, 180_000);
  afterAll(async () => {
    await target?.close();
  });

  it(`sends ${runs} generated requests (seed ${SEED}): no 5xx, every error in the API's shape, nothing of another space`, async () => {
    const operations = operationsOf(target.document);
    expect(operations.length).toBeGreaterThan(50);
    const statuses = new Map<number, number>();
    const started = Date.now();
    let sent = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fuzzCases(operations, target.world), async (kase: FuzzCase) => {
          sent++;
          const response = await sendRaw(target.port, kase.request);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const problems = problemsOf(kase, response);
          if (problems.length > 0) {
            throw new Error(`${problems.join('; ')}\n--- answer ${response.status}: ${response.body.toString('utf8').slice(0, 500)}\n--- request\n${describeRequest(kase.request)}`);
          }
        }),
        { numRuns: runs, seed: SEED },
      );
    } finally {
      const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ');
      console.log(`fuzz ${backend}: ${sent} requests over ${operations.length} operations in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED}); statuses ${byStatus}`);
    }
  }, Math.max(300_000, runs * 1_000));

  it("leaves the server up and the victim's data as it was, still served to the victim", async () => {
    const health = await sendRaw(target.port, { method: 'GET', target: '/v1/health', headers: [] });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString('utf8'))).toMatchObject({ ready: true });
    expect(await target.victimState()).toEqual(victimBefore);
    const served = await target.victimStillServed();
    expect(served.memories.status).toBe(200);
    expect(served.memories.body.toString('utf8')).toContain(CANARY);
    expect(served.mcp.status).toBe(200);
    expect((sseResult(served.mcp) as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
  });
});
