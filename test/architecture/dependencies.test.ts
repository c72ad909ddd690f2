import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Every relative import of every source file, as [file, imported file], both relative to src/. */
function imports(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js)$/.test(name)) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
          out.push([relative(SRC, path), relative(SRC, resolve(dirname(path), m[1]!))]);
        }
      }
    }
  };
  walk(SRC);
  return out;
}

const layer = (file: string): string => file.split('/')[0]!;

describe('dependency direction (docs/architecture.md)', () => {
  const all = imports();

  it('finds the imports it checks', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('core imports nothing of ours outside core, and no driver', () => {
    const bad = all.filter(([from, to]) => layer(from) === 'core' && layer(to) !== 'core');
    expect(bad).toEqual([]);
    const text = all.filter(([from]) => layer(from) === 'core').map(([from]) => readFileSync(join(SRC, from), 'utf8'));
    expect(text.some((t) => /from 'better-sqlite3(-multiple-ciphers)?'|from 'pg'/.test(t))).toBe(false);
  });

  it('engine imports only core', () => {
    expect(all.filter(([from, to]) => layer(from) === 'engine' && !['core', 'engine'].includes(layer(to)))).toEqual([]);
  });

  it('store and embed import only core (and themselves)', () => {
    for (const l of ['store', 'embed']) {
      expect(all.filter(([from, to]) => layer(from) === l && !['core', l].includes(layer(to)))).toEqual([]);
    }
  });

  it('no store backend imports another backend; store/common imports only core and itself', () => {
    const backendOf = (file: string): string | undefined => /^store\/([^/]+)\//.exec(file)?.[1];
    const store = all.filter(([from]) => layer(from) === 'store');
    const backends = new Set(store.map(([from]) => backendOf(from)));
    expect([...backends].sort()).toEqual(['common', 'postgres', 'sqlite']);
    const crossing = store.filter(([from, to]) => {
      const [a, b] = [backendOf(from), backendOf(to)];
      return a !== 'common' && b !== undefined && b !== 'common' && a !== b;
    });
    expect(crossing).toEqual([]);
    expect(store.filter(([from, to]) => backendOf(from) === 'common' && layer(to) !== 'core' && backendOf(to) !== 'common')).toEqual([]);
  });

  it('compat/mem0 imports only core, engine, embed, itself and the Memspace type; never server', () => {
    const mem0 = all.filter(([from]) => from.startsWith('compat/mem0/'));
    expect(mem0.length).toBeGreaterThan(0);
    const allowed = (to: string): boolean => ['core', 'engine', 'embed'].includes(layer(to)) || to.startsWith('compat/mem0/') || to === 'memspace.js';
    expect(mem0.filter(([, to]) => !allowed(to))).toEqual([]);
    // The composition root opens stores; compat only names its type.
    const valueImports = [...new Set(mem0.map(([from]) => from))].filter((file) =>
      /^import (?!type )[^;]*from '(?:\.\.\/)+memspace\.js'/m.test(readFileSync(join(SRC, file), 'utf8')),
    );
    expect(valueImports).toEqual([]);
  });

  it('compat/langgraph imports only core, engine and itself, and the client only as types; never store, embed, server or memspace.ts', () => {
    const langgraph = all.filter(([from]) => from.startsWith('compat/langgraph/'));
    expect(langgraph.length).toBeGreaterThan(0);
    const allowed = (to: string): boolean => ['core', 'engine', 'client'].includes(layer(to)) || to.startsWith('compat/langgraph/');
    expect(langgraph.filter(([, to]) => !allowed(to))).toEqual([]);
    // The store is handed an open memspace or a client; it loads neither the HTTP client nor a backend itself.
    const clientValueImports = [...new Set(langgraph.map(([from]) => from))].filter((file) =>
      /^import (?!type )[^;]*from '(?:\.\.\/)+client\//m.test(readFileSync(join(SRC, file), 'utf8')),
    );
    expect(clientValueImports).toEqual([]);
  });

  it('mcp imports only core, engine, itself and the Memspace type; never server, store or embed', () => {
    const mcp = all.filter(([from]) => layer(from) === 'mcp');
    expect(mcp.length).toBeGreaterThan(0);
    const allowed = (to: string): boolean => ['core', 'engine', 'mcp'].includes(layer(to)) || to === 'memspace.js';
    expect(mcp.filter(([, to]) => !allowed(to))).toEqual([]);
  });

  it('grpc imports only core, engine, wire, itself and the Memspace type; never server, store or embed', () => {
    const grpc = all.filter(([from]) => layer(from) === 'grpc');
    expect(grpc.length).toBeGreaterThan(0);
    const allowed = (to: string): boolean => ['core', 'engine', 'wire', 'grpc'].includes(layer(to)) || to === 'memspace.js';
    expect(grpc.filter(([, to]) => !allowed(to))).toEqual([]);
  });

  it('front-ends never reach around the engine: no registry, no store, and no role check of their own', () => {
    const FRONT_ENDS = ['server', 'mcp', 'grpc', 'compat', 'cli'];
    const front = all.filter(([from]) => FRONT_ENDS.includes(layer(from)));
    expect(front.length).toBeGreaterThan(0);
    expect(front.filter(([, to]) => to === 'engine/space-registry.ts' || layer(to) === 'store')).toEqual([]);
    // The one guard: roleIn, allows and holds decide access; only the engine may call them.
    const files = [...new Set(front.map(([from]) => from))];
    const checking = files.filter((file) => /import \{[^}]*\b(roleIn|allows|holds)\b[^}]*\} from '(?:\.\.\/)+core\/grants\.js'/.test(readFileSync(join(SRC, file), 'utf8')));
    expect(checking).toEqual([]);
  });

  it('memspace/client never loads the gRPC transport (@grpc/* and protobufjs stay behind memspace/client/grpc), nor a Node built-in through core', () => {
    // Value imports only, followed file to file from the entry point: what loading it loads.
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      for (const m of readFileSync(join(SRC, file), 'utf8').matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(relative(SRC, resolve(dirname(join(SRC, file)), spec)).replace(/\.js$/, '.ts'));
        else packages.add(spec);
      }
    };
    visit('client/index.ts');
    expect(files.has('client/client.ts')).toBe(true);
    expect([...files].filter((f) => /grpc/.test(f))).toEqual([]);
    expect([...packages].filter((p) => p.startsWith('@grpc/') || p === 'protobufjs')).toEqual([]);
    // The light client package (@memspace/client) compiles what this entry point loads: a core file that needs Node would break it off Node.
    expect([...packages].filter((p) => p.startsWith('node:') || ['fs', 'http', 'https', 'net', 'stream', 'path', 'crypto'].includes(p))).toEqual([]);
  });

  it('wire, the gRPC protocol both ends share, imports only core and itself, and no Node built-in', () => {
    const wire = all.filter(([from]) => layer(from) === 'wire');
    expect(wire.length).toBeGreaterThan(0);
    expect(wire.filter(([, to]) => !['core', 'wire'].includes(layer(to)))).toEqual([]);
    const files = readdirSync(join(SRC, 'wire')).filter((name) => name.endsWith('.ts'));
    expect(files.filter((name) => /from '(node:[^']+|fs|http|https|net|stream|path|crypto)'/.test(readFileSync(join(SRC, 'wire', name), 'utf8')))).toEqual([]);
  });

  it('telemetry imports only core, itself and the configuration type; OpenTelemetry is imported there only, and loaded only when tracing is on', () => {
    const telemetry = all.filter(([from]) => layer(from) === 'telemetry');
    expect(telemetry.length).toBeGreaterThan(0);
    expect(telemetry.filter(([, to]) => !['core', 'telemetry'].includes(layer(to)) && to !== 'config.js')).toEqual([]);
    const sources = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? sources(path) : /\.ts$/.test(name) ? [relative(SRC, path)] : [];
      });
    const files = sources(SRC);
    const text = (file: string): string => readFileSync(join(SRC, file), 'utf8');
    expect(files.filter((file) => layer(file) !== 'telemetry' && /from '@opentelemetry\//.test(text(file)))).toEqual([]);
    // The adapter files (otel-*) are reached by a dynamic import only: a static one would load the SDK in every process.
    const staticOtel = files.filter((file) => !/^telemetry\/otel-/.test(file) && /^import (?!type )[^;]*from '[./]*(?:telemetry\/)?otel-[^']*'/m.test(text(file)));
    expect(staticOtel).toEqual([]);
    expect(files.filter((file) => layer(file) === 'telemetry' && text(file).includes("import('./otel-setup.js')"))).toEqual(['telemetry/tracing-config.ts']);
  });

  it('client imports only core, wire (for its gRPC client) and itself, and no Node built-in, so it runs wherever fetch does', () => {
    const client = all.filter(([from]) => layer(from) === 'client');
    expect(client.length).toBeGreaterThan(0);
    expect(client.filter(([, to]) => !['core', 'wire', 'client'].includes(layer(to)))).toEqual([]);
    const files = readdirSync(join(SRC, 'client')).filter((name) => name.endsWith('.ts'));
    const builtins = files.filter((name) => /from '(node:[^']+|fs|http|https|net|stream|path|crypto)'/.test(readFileSync(join(SRC, 'client', name), 'utf8')));
    expect(builtins).toEqual([]);
  });

  it('the web console (console/src) is a browser app: it imports only itself and Preact, and talks to the server through its HTTP API alone', () => {
    const CONSOLE = resolve(SRC, '../console/src');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.tsx?$/.test(name)) files.push(path);
      }
    };
    walk(CONSOLE);
    expect(files.length).toBeGreaterThan(5);
    const outside: string[] = [];
    for (const file of files) {
      // Statements only (`import … from 'x'`, `import 'x'`, `export … from 'x'`): JSX text may say "from '…'".
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;']*\bfrom\s*'([^']+)'|^import\s*'([^']+)'/gm)) {
        const target = (m[1] ?? m[2])!;
        const inside = target.startsWith('.') ? !relative(CONSOLE, resolve(dirname(file), target)).startsWith('..') : /^preact(\/hooks)?$/.test(target);
        if (!inside) outside.push(`${relative(CONSOLE, file)} → ${target}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
