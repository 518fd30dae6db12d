/**
 * No two packages export different types under one name: a reader who meets `OptimizerConfig`
 * must find one declaration. Walks the public entry points (every `libs/<name>/src/index.ts`
 * and `apps/trainer/src/index.ts`) with the TypeScript compiler API, resolves each exported
 * type, interface, class and enum to its declaration, and fails on a name that resolves to more
 * than one. Re-exports of the same declaration are the same symbol and pass.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const entryPoints = (): string[] => [
  ...readdirSync(join(ROOT, 'libs'))
    .map((name) => join(ROOT, 'libs', name, 'src', 'index.ts'))
    .filter((path) => existsSync(path)),
  join(ROOT, 'apps', 'trainer', 'src', 'index.ts'),
];


const TYPE_FLAGS = ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class | ts.SymbolFlags.Enum;

interface ExportedType {
  readonly name: string;
  readonly entry: string;
  readonly symbol: ts.Symbol;
  readonly declaredAt: string;
}

const workspaceOptions = (): ts.CompilerOptions => {
  const configPath = join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, { noEmit: true }, configPath).options;
};

/** The types, interfaces, classes and enums each entry point exports, resolved through re-exports. */
const exportedTypes = (roots: readonly string[], options: ts.CompilerOptions): ExportedType[] => {
  const prog = ts.createProgram({ rootNames: roots, options });
  const checker = prog.getTypeChecker();
  return roots.flatMap((entry) => {
    const source = prog.getSourceFile(entry);
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`${entry}: not a module the compiler can read`);
    return checker.getExportsOfModule(moduleSymbol).flatMap((exported) => {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if ((symbol.flags & TYPE_FLAGS) === 0) return [];
      const declaration = symbol.declarations?.[0];
      const declaredAt =
        declaration === undefined
          ? '(no declaration)'
          : `${relative(ROOT, declaration.getSourceFile().fileName)}:${declaration.getSourceFile().getLineAndCharacterOfPosition(declaration.getStart()).line + 1}`;
      return [{ name: exported.name, entry: relative(ROOT, entry), symbol, declaredAt }];
    });
  });
};

/** Names exported with more than one declaration behind them, with where each is declared. */
const clashesOf = (exports: readonly ExportedType[]): Map<string, string[]> => {
  const byName = new Map<string, ExportedType[]>();
  for (const e of exports) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  return new Map(
    [...byName]
      .filter(([, list]) => new Set(list.map((e) => e.symbol)).size > 1)
      .map(([name, list]) => [name, [...new Set(list.map((e) => `${e.declaredAt} (via ${e.entry})`))]]),
  );
};

describe('exported type names', () => {
  const all = exportedTypes(entryPoints(), workspaceOptions());

  it('finds the exports of every entry point', () => {
    const entries = new Set(all.map((e) => e.entry));
    for (const entry of entryPoints()) expect(entries).toContain(relative(ROOT, entry));
    expect(all.find((e) => e.name === 'TrainConfig')?.entry).toBe('apps/trainer/src/index.ts');
    expect(all.find((e) => e.name === 'StageError')?.declaredAt).toMatch(/^libs\/core\/src\//);
  });

  it('has one declaration behind each exported type name', () => {
    const clashes = [...clashesOf(all)].map(([name, where]) => `${name}: ${where.join(', ')}`);
    expect(clashes).toEqual([]);
  });

  it('tells two declarations of one name from re-exports of one declaration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlflow-exports-'));
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    file('a.ts', 'export interface Shared { readonly a: number }\nexport type Alias = string;\n');
    const roots = [
      file('one.ts', "export type { Shared, Alias } from './a.js';\n"),
      file('two.ts', "export * from './a.js';\n"),
      file('three.ts', 'export interface Alias { readonly b: string }\nexport const value = 1;\n'),
    ];
    const exports = exportedTypes(roots, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true });
    expect(exports.map((e) => e.name).sort()).toEqual(['Alias', 'Alias', 'Alias', 'Shared', 'Shared']);
    expect([...clashesOf(exports).keys()]).toEqual(['Alias']);
    expect(clashesOf(exports).get('Alias')).toHaveLength(3);
  });
});
