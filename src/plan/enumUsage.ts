import ts from 'typescript';
import { parseSource } from './parseSource';
import type { ProjectIndex } from './projectIndex';
import type { DrizzleObject, ScannedFile } from './types';

/** A table and the file that declares it. */
export interface TableUse {
  table: DrizzleObject;
  file: ScannedFile;
}

/**
 * Which tables use which enums as column types: `status: jobStatusEnum('status')`
 * inside a table's call, where `jobStatusEnum` is declared locally, imported
 * (through barrels and aliases) or reached through a namespace import. Only the
 * files that mention one of the enums' identifiers are parsed again.
 */
export function tablesUsingEnums(
  enums: { object: DrizzleObject; file: ScannedFile }[],
  index: ProjectIndex,
): Map<DrizzleObject, TableUse[]> {
  const byDeclaration = new Map<string, DrizzleObject>();
  for (const { object, file } of enums) {
    if (object.identifier) byDeclaration.set(`${file.path}#${object.identifier}`, object);
  }
  const uses = new Map<DrizzleObject, TableUse[]>(enums.map(({ object }) => [object, []]));
  if (byDeclaration.size === 0) return uses;
  const identifiers = enums.map(({ object }) => object.identifier).filter((i): i is string => i !== undefined);

  for (const file of index.files.values()) {
    const tables = file.objects.filter((o) => o.kind === 'table');
    if (tables.length === 0 || !identifiers.some((id) => file.text.includes(id))) continue;
    const tableAt = new Map(tables.map((t) => [t.callee.start, t]));
    const source = parseSource(file.path, index.display(file.path), file.text);

    const resolveCallee = (callee: ts.Expression): DrizzleObject | undefined => {
      // Handle: jobStatusEnum('status')
      if (ts.isIdentifier(callee)) {
        const resolved = index.resolveLocal(file.path, callee.text);
        return resolved && byDeclaration.get(`${resolved.file}#${resolved.localName}`);
      }
      // Handle: enums.jobStatusEnum('status') with `import * as enums from './enums'`
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
        const binding = file.importBindings.get(callee.expression.text);
        if (!binding?.namespace) return undefined;
        const module = index.resolveModule(binding.module, file.path);
        const resolved = module && index.resolveExport(module, callee.name.text);
        return resolved ? byDeclaration.get(`${resolved.file}#${resolved.localName}`) : undefined;
      }
      return undefined;
    };

    const visit = (node: ts.Node, table: DrizzleObject | undefined): void => {
      let inner = table;
      if (ts.isCallExpression(node)) {
        const own = tableAt.get(node.expression.getStart(source));
        if (own) inner = own;
        else if (table) {
          const used = resolveCallee(node.expression);
          const list = used && uses.get(used);
          if (list && !list.some((u) => u.table === table)) list.push({ table, file });
        }
      }
      ts.forEachChild(node, (child) => visit(child, inner));
    };
    visit(source, undefined);
  }
  return uses;
}
