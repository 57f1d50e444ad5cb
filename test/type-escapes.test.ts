/** Every type escape outside the tests says why it is there (test/type-escapes.ts finds them). */
import { describe, expect, it } from 'vitest';
import { escapesIn, typeEscapes } from './type-escapes.js';

describe('type escapes', () => {
  it('are found in the syntax, with the comment beside them, and not in comments or strings', () => {
    const text = [
      "const a = x as unknown as string; // the library's type is wrong",
      '// the hook type cannot name the context',
      'const b = y as never;',
      'const c: any = 1;',
      'let d = 0; // about d',
      'const e = (z as unknown) as Array<any>;',
      '/* "as never", any and as unknown as in a comment */ const f = "x as never";',
      '/**',
      ' * A block that ends on the line before.',
      ' */',
      'function g(h: any) {}',
    ].join('\n');
    expect(escapesIn('sample.ts', text).map(({ line, kind, reason }) => [line, kind, reason !== null])).toEqual([
      [1, 'as unknown as', true],
      [3, 'as never', true],
      [4, 'any', false],
      // The comment of line 5 is beside code: it is no reason for line 6.
      [6, 'as unknown as', false],
      [6, 'any', false],
      [11, 'any', true],
    ]);
  });

  it('in src/ and adapters/ each have a reason', () => {
    const all = typeEscapes();
    // The scan reads the tree: it sees the escapes that must stay (e.g. Yoga's fast lane).
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((e) => e.reason === null).map((e) => `${e.file}:${e.line} ${e.kind}`)).toEqual([]);
  });
});
