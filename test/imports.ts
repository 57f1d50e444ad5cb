import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** One import of a source file: its specifier (null when it is computed, e.g. `import(name)`) and its line. */
export interface ImportSite {
  specifier: string | null;
  line: number;
}

/**
 * Every import of a source text, as TypeScript parses it (so nothing in comments or strings):
 * `import … from`, `import type`, `export … from`, `import(…)`, `typeof import(…)` types,
 * `import x = require(…)` and `require(…)`.
 */
export function importsOf(fileName: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: ImportSite[] = [];
  const at = (node: ts.Node, specifier: ts.Node | undefined) =>
    out.push({
      specifier: specifier && (ts.isStringLiteral(specifier) || ts.isNoSubstitutionTemplateLiteral(specifier)) ? specifier.text : null,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
    });
  const walk = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) at(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) at(node, node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) at(node, node.argument.literal);
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      at(node, node.arguments[0]);
    }
    ts.forEachChild(node, walk);
  };
  walk(source);
  return out;
}

/**
 * Every local file `entry` imports, directly or through other local files (type-only imports
 * and re-exports included), as absolute paths. Package imports are not followed.
 */
export function localImports(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const { specifier: spec } of importsOf(file, readFileSync(file, 'utf8'))) {
      if (!spec?.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, `${target}/index.ts`];
      const found = candidates.find((c) => c.endsWith('.ts') && existsSync(c));
      if (found) visit(found);
    }
  };
  visit(resolve(entry));
  seen.delete(resolve(entry));
  return [...seen];
}
