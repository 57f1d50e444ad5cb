/**
 * The type escapes of the code outside the tests: `as unknown as`, `as never` and `any` as a type,
 * found in the syntax tree (not in comments or strings). Each must say why it is there, in a
 * comment on its own line or alone on the line before (test/type-escapes.test.ts).
 *
 * The inventory: `node --import tsx test/type-escapes.ts` (exits 1 when one has no reason).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export type EscapeKind = 'as unknown as' | 'as never' | 'any';

export interface TypeEscape {
  file: string;
  /** 1-based. */
  line: number;
  kind: EscapeKind;
  /** The comment that gives the reason, or null. */
  reason: string | null;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The code the escapes are counted in: everything but the tests. */
export const ESCAPE_ROOTS = ['src', 'adapters'];

/** The escapes of one file's text, each with the comment beside it (same line, or alone on the line before). */
export function escapesIn(file: string, text: string): TypeEscape[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line;

  const found: { at: number; kind: EscapeKind }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      let inner = node.expression;
      while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
      if ((ts.isAsExpression(inner) || ts.isTypeAssertionExpression(inner)) && inner.type.kind === ts.SyntaxKind.UnknownKeyword) {
        found.push({ at: node.type.getStart(source), kind: 'as unknown as' });
      } else if (node.type.kind === ts.SyntaxKind.NeverKeyword) {
        found.push({ at: node.type.getStart(source), kind: 'as never' });
      }
    }
    if (node.kind === ts.SyntaxKind.AnyKeyword) found.push({ at: node.getStart(source), kind: 'any' });
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!found.length) return [];

  // The comments, from the trivia around every token (getChildren has the tokens), each once.
  const comments: ts.CommentRange[] = [];
  const seen = new Set<number>();
  const collect = (node: ts.Node) => {
    // Leading ranges leave out a comment on the line of the token before: trailing ranges have it.
    for (const c of [...(ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []), ...(ts.getTrailingCommentRanges(text, node.getEnd()) ?? [])]) {
      if (!seen.has(c.pos)) comments.push(c), seen.add(c.pos);
    }
    for (const child of node.getChildren(source)) collect(child);
  };
  collect(source);

  // Per line: its comments' text, and whether the line holds nothing else.
  const lines = text.split('\n');
  const commentText = new Map<number, string[]>();
  const codeLeft = lines.map((l) => l.split(''));
  for (const c of comments) {
    const first = lineOf(c.pos);
    const last = lineOf(c.end);
    for (let line = first; line <= last; line++) {
      const start = line === first ? source.getLineAndCharacterOfPosition(c.pos).character : 0;
      const end = line === last ? source.getLineAndCharacterOfPosition(c.end).character : lines[line]!.length;
      for (let i = start; i < end; i++) codeLeft[line]![i] = ' ';
    }
    (commentText.get(last) ?? commentText.set(last, []).get(last)!).push(text.slice(c.pos, c.end));
    if (first !== last) (commentText.get(first) ?? commentText.set(first, []).get(first)!).push(text.slice(c.pos, c.end));
  }
  const onlyComment = (line: number) => commentText.has(line) && codeLeft[line]!.join('').trim() === '';

  return found.map(({ at, kind }) => {
    const line = lineOf(at);
    const same = commentText.get(line);
    const before = line > 0 && onlyComment(line - 1) ? commentText.get(line - 1) : undefined;
    const reason = same?.at(-1) ?? before?.at(-1) ?? null;
    return { file, line: line + 1, kind, reason };
  });
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* sourceFiles(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      yield path;
    }
  }
}

/** Every escape in src/ and adapters/ (tests excluded). */
export function typeEscapes(): TypeEscape[] {
  const out: TypeEscape[] = [];
  for (const root of ESCAPE_ROOTS) {
    for (const path of sourceFiles(join(ROOT, root))) out.push(...escapesIn(relative(ROOT, path), readFileSync(path, 'utf8')));
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const all = typeEscapes();
  for (const kind of ['as unknown as', 'as never', 'any'] as const) {
    const of = all.filter((e) => e.kind === kind);
    console.log(`${kind}: ${of.length}`);
    for (const e of of) console.log(`  ${e.file}:${e.line}  ${e.reason ?? 'NO REASON'}`);
  }
  process.exitCode = all.some((e) => e.reason === null) ? 1 : 0;
}
