/**
 * The layers, checked on every source file's imports (static, dynamic and type-only alike):
 * - src/domain imports only src/domain, and no GraphQL or HTTP package: the domain knows no
 *   schema, no HTTP client and no adapter (the ports it defines are implemented above it);
 * - a vendor folder adapters/<vendor>/ imports no other vendor's folder.
 * The checker is run on synthetic sources too, so that it is seen to fail where it should.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf } from './imports.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Packages the domain must not use: GraphQL (graphql, Yoga, Pothos, envelop …), the HTTP client, the gateway itself. */
const NOT_IN_DOMAIN = /^(graphql($|[-/])|@graphql-|@pothos\/|@envelop\/|@escape\.tech\/graphql-|undici($|\/)|model-gateway($|\/))/;

const vendorOf = (file: string) => /^adapters\/([^/]+)\//.exec(file)?.[1] ?? null;

/** What `file` (a path from the repository root, with `/`) breaks by importing what `text` imports. */
function layerViolations(file: string, text: string): string[] {
  const out: string[] = [];
  const inDomain = file.startsWith('src/domain/');
  const vendor = vendorOf(file);
  for (const { specifier, line } of importsOf(file, text)) {
    const where = `${file}:${line}`;
    if (specifier === null) {
      if (inDomain) out.push(`${where}: a computed import(), whose target cannot be checked`);
      continue;
    }
    const local = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#');
    const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)) : specifier;
    if (inDomain && (local ? !target.startsWith('src/domain/') : NOT_IN_DOMAIN.test(specifier))) {
      out.push(`${where}: src/domain imports ${specifier}`);
    }
    const other = local ? vendorOf(target) : null;
    if (vendor && other && other !== vendor) out.push(`${where}: adapters/${vendor} imports adapters/${other} (${specifier})`);
  }
  return out;
}

/** The TypeScript files under `dir`, as paths from the repository root. */
function sourceFiles(dir: string): string[] {
  return readdirSync(posix.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(path);
    return e.isFile() && /\.(ts|mts|cts|tsx)$/.test(e.name) ? [path] : [];
  });
}

describe('the layers of this repository', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('adapters')];

  it('src/domain imports nothing above it; no vendor folder imports another', () => {
    const violations = files.flatMap((f) => layerViolations(f, readFileSync(posix.join(ROOT, f), 'utf8')));
    expect(violations).toEqual([]);
  });

  it('the check reads what it should: the domain, every vendor folder, and their imports', () => {
    const domain = files.filter((f) => f.startsWith('src/domain/'));
    expect(domain).toEqual(expect.arrayContaining(['src/domain/adapter.ts', 'src/domain/errors.ts', 'src/domain/http.ts', 'src/domain/backend.ts']));
    const vendors = new Set(files.map(vendorOf).filter(Boolean));
    expect([...vendors].sort()).toEqual(expect.arrayContaining(['nemo', 'northflank', 'zstack']));
    const adapterImports = importsOf('adapters/nemo/adapter.ts', readFileSync(posix.join(ROOT, 'adapters/nemo/adapter.ts'), 'utf8'));
    expect(adapterImports.map((i) => i.specifier)).toEqual(expect.arrayContaining(['../../src/domain/adapter.js', './mapping.js']));
  });
});

describe('the checker fails where it should', () => {
  it.each([
    ['the graphql package', `import { GraphQLError } from 'graphql';`, 'imports graphql'],
    ['a GraphQL server package', `import { createYoga } from 'graphql-yoga';`, 'imports graphql-yoga'],
    ['Pothos', `import SchemaBuilder from '@pothos/core';`, 'imports @pothos/core'],
    ['the HTTP client package', `import { Pool } from 'undici';`, 'imports undici'],
    ['src/graphql, type-only', `import type { GatewayBuilder } from '../graphql/builder.js';`, 'imports ../graphql/builder.js'],
    ['src/http, re-exported', `export type { HttpClient } from '../http/client.js';`, 'imports ../http/client.js'],
    ['src/http, all re-exported', `export * from '../http/client.js';`, 'imports ../http/client.js'],
    ['src/server, dynamically', `export async function f() { return import('../server/index.js'); }`, 'imports ../server/index.js'],
    ['src/app, in a type', `export type S = typeof import('../app/services.js');`, 'imports ../app/services.js'],
    ['src/app, by require', `import s = require('../app/services.js');`, 'imports ../app/services.js'],
    ['an adapter', `import { nemoAdapter } from '../../adapters/nemo/adapter.js';`, 'imports ../../adapters/nemo/adapter.js'],
    ['the composition root', `import type { Gateway } from '../gateway.js';`, 'imports ../gateway.js'],
    ['a computed target', 'export const load = (name: string) => import(name);', 'a computed import()'],
    ['a template-literal target', 'export const load = () => import(`../graphql/schema.js`);', 'imports ../graphql/schema.js'],
  ])('src/domain importing %s', (_what, text, words) => {
    const found = layerViolations('src/domain/example.ts', text);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(words);
    expect(found[0]).toMatch(/^src\/domain\/example\.ts:1: /);
  });

  it('a vendor folder importing another vendor folder (from a nested file too)', () => {
    expect(layerViolations('adapters/nemo/adapter.ts', `import { VENDOR } from '../northflank/mapping.js';`)).toEqual([
      'adapters/nemo/adapter.ts:1: adapters/nemo imports adapters/northflank (../northflank/mapping.js)',
    ]);
    expect(layerViolations('adapters/nemo/fixtures/seed.ts', `\nexport type { ModelInventory } from '../../zstack/contract.js';`)).toEqual([
      'adapters/nemo/fixtures/seed.ts:2: adapters/nemo imports adapters/zstack (../../zstack/contract.js)',
    ]);
  });

  it('nothing to report where the layers hold', () => {
    const domain = [
      `import type { z } from 'zod';`,
      `import type { Logger } from 'pino';`,
      `import type { Clock } from './clock.js';`,
      `export type { HttpClient } from './http.js';`,
      `// import { GraphQLError } from 'graphql';`,
      `export const text = "import x from '../graphql/builder.js'";`,
    ].join('\n');
    expect(layerViolations('src/domain/example.ts', domain)).toEqual([]);
    const vendor = [
      `import { defineAdapter } from '../../src/domain/adapter.js';`,
      `import { vendorDeploymentType } from '../../src/graphql/builder.js';`,
      `import { fromVendor } from './mapping.js';`,
      `import { seed } from './fixtures/seed.js';`,
    ].join('\n');
    expect(layerViolations('adapters/nemo/adapter.ts', vendor)).toEqual([]);
    // The rules are the domain's and the vendor folders': other layers may import GraphQL.
    expect(layerViolations('src/graphql/schema.ts', `import { GraphQLError } from 'graphql';\nimport { x } from '../../adapters/nemo/graphql.js';`)).toEqual([]);
  });
});
