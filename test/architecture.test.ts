// The layering of src/ (see ARCHITECTURE.md): reads every module's runtime imports (`import type`
// and type-only specifiers are erased by tsc, so they are ignored) and fails on an import cycle or
// on an import across a forbidden layer boundary.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The src-relative modules `file` imports at runtime (static imports and re-exports). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const targets: string[] = [];
  for (const statement of source.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const allTypes = named && ts.isNamedImports(named) && !clause.name && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (clause?.isTypeOnly || allTypes) continue;
      specifier = statement.moduleSpecifier;
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      const named = statement.exportClause;
      const allTypes = named && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (statement.isTypeOnly || allTypes) continue;
      specifier = statement.moduleSpecifier;
    }
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    targets.push(relative(SRC, resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts'))));
  }
  return targets;
}

const graph = new Map(sourceFiles(SRC).map((f) => [relative(SRC, f), runtimeImports(f)]));

/** Every cycle's strongly connected component (Tarjan), as sorted lists of modules. */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component = stack.splice(stack.indexOf(v));
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** [importer prefix, imported prefixes it must not reach]. */
const FORBIDDEN: [string, string[]][] = [
  ['backend/', ['meta/', 'ops/', 'autograd/', 'nn/', 'optim/', 'mtl/', 'models/', 'io/', 'data/', 'cli/', 'tensor.ts', 'index.ts']],
  ['ops/', ['meta/', 'nn/', 'optim/', 'mtl/', 'models/', 'io/', 'data/', 'cli/', 'tensor.ts', 'index.ts']],
  ['autograd/', ['meta/', 'nn/', 'optim/', 'mtl/', 'models/', 'io/', 'data/', 'cli/', 'tensor.ts', 'index.ts']],
  ['nn/', ['meta/', 'mtl/', 'models/', 'io/', 'data/', 'cli/', 'index.ts']],
  ['optim/', ['meta/', 'mtl/', 'models/', 'io/', 'data/', 'cli/', 'index.ts']],
  ['mtl/', ['meta/', 'models/', 'io/', 'data/', 'cli/', 'index.ts']],
  ['models/', ['meta/', 'mtl/', 'io/', 'data/', 'cli/', 'index.ts']],
  ['meta/', ['mtl/', 'models/', 'io/', 'data/', 'cli/', 'index.ts']],
  ['handle.ts', ['ops/', 'autograd/engine.ts', 'nn/', 'optim/', 'tensor.ts']],
];

describe('architecture of src/', () => {
  it('reads the import graph', () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get('tensor.ts')).toContain('handle.ts');
  });

  it('has no runtime import cycle', () => {
    expect(cycles()).toEqual([]);
  });

  it('imports only downwards across layers', () => {
    const violations = [...graph].flatMap(([from, targets]) =>
      FORBIDDEN.filter(([layer]) => from.startsWith(layer)).flatMap(([, banned]) =>
        targets.filter((to) => banned.some((b) => to.startsWith(b))).map((to) => `${from} -> ${to}`),
      ),
    );
    expect(violations).toEqual([]);
  });
});
