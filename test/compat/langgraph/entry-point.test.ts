import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BaseStore } from '@langchain/langgraph-checkpoint';
import { describe, expect, it } from 'vitest';
import * as entry from '../../../src/compat/langgraph/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('memspace/langgraph entry point', () => {
  it('is exported by package.json from the file the build makes of src/compat/langgraph/index.ts', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> };
    expect(pkg.exports['./langgraph']).toBe('./dist/compat/langgraph/index.js');
    expect(existsSync(resolve(ROOT, 'src/compat/langgraph/index.ts'))).toBe(true);
  });

  it('exports a LangGraph BaseStore and the memspace error type, and nothing else by value', () => {
    expect(Object.keys(entry).sort()).toEqual(['ITEM_KIND', 'MemspaceError', 'MemspaceStore', 'isMemspaceError']);
    expect(Object.getPrototypeOf(entry.MemspaceStore)).toBe(BaseStore);
  });
});
