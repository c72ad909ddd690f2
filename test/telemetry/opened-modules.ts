/**
 * Run as a child (`node --import tsx test/telemetry/opened-modules.ts <data dir>`) by
 * off-by-default.test.ts: opens memspace with the environment it was given, lists spaces and
 * health (engine and store calls), closes it, then prints what of OpenTelemetry was loaded.
 */
import { createRequire } from 'node:module';
import { loadConfig } from '../../src/config.js';
import { openMemspace } from '../../src/memspace.js';

const ms = await openMemspace(loadConfig({ dataDir: process.argv[2]! }));
await ms.spaces.list({});
await ms.health.health();
const enabled = ms.tracer.enabled;
await ms.close();
const cached = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('@opentelemetry'));
const packages = [...new Set(cached.map((path) => /@opentelemetry\/[^/]+/.exec(path)![0]))].sort();
// The API keeps its registrations (context manager, tracer provider) under this global.
const globals = Object.getOwnPropertySymbols(globalThis).filter((s) => String(s).includes('opentelemetry')).length;
process.stdout.write(`${JSON.stringify({ enabled, packages, globals })}\n`);
