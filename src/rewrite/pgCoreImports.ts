import { PG_CORE_MODULE, type PgCoreImport, type ScannedFile } from '../plan/types';
import type { TextEdit } from './textEdits';

/**
 * Tracks which drizzle-orm/pg-core exports a file needs after the rewrite:
 * names it must add, and named imports whose last use the rewrite removed.
 */
export class PgCoreImportEditor {
  private readonly uses = new Map<string, number>();
  private readonly touched = new Set<string>();
  private readonly added: string[] = [];
  private readonly main: PgCoreImport | undefined;

  constructor(private readonly file: ScannedFile) {
    // The declaration that receives new names: the first value import with named specifiers.
    this.main = file.pgCoreImports.find((i) => !i.isTypeOnly && i.braces);
  }

  /** The expression that names a pg-core export here (`pgSchema`, `table`, `pg.pgSchema`), adding an import if needed. */
  reference(name: string): string {
    for (const declaration of this.file.pgCoreImports) {
      if (declaration.isTypeOnly) continue;
      const named = declaration.named.find((n) => n.name === name && !n.isTypeOnly);
      if (named) {
        const local = named.alias ?? named.name;
        this.uses.set(local, this.count(local) + 1);
        return local;
      }
    }
    const namespace = this.file.pgCoreImports.find((i) => i.namespace && !i.isTypeOnly)?.namespace;
    if (namespace) return `${namespace}.${name}`;
    if (!this.added.includes(name)) this.added.push(name);
    return name;
  }

  /** The rewrite removed one reference to this local name. */
  release(local: string): void {
    this.touched.add(local);
    this.uses.set(local, this.count(local) - 1);
  }

  private count(local: string): number {
    return this.uses.get(local) ?? this.file.identifierUses.get(local) ?? 0;
  }

  private unused(local: string): boolean {
    return this.touched.has(local) && this.count(local) <= 0;
  }

  /** The import edits: specifiers removed, names added, or a new declaration (returned separately). */
  edits(): { edits: TextEdit[]; newDeclaration?: string } {
    const edits: TextEdit[] = [];
    let pendingAdds = [...this.added];
    for (const declaration of this.file.pgCoreImports) {
      if (!declaration.braces || declaration.isTypeOnly) continue;
      const kept = declaration.named.filter((n) => n.isTypeOnly || !this.unused(n.alias ?? n.name));
      const adds = declaration === this.main ? pendingAdds : [];
      if (declaration === this.main) pendingAdds = [];
      if (kept.length === declaration.named.length && adds.length === 0) continue;
      if (kept.length === 0 && adds.length === 0 && !declaration.namespace) {
        edits.push(this.removeDeclaration(declaration));
        continue;
      }
      edits.push({
        start: declaration.braces.start,
        end: declaration.braces.end,
        text: this.renderBraces(declaration, kept.map((n) => n.text), adds),
      });
    }
    if (pendingAdds.length === 0) return { edits };
    const { quote, semicolons } = this.file;
    return {
      edits,
      newDeclaration: `import { ${pendingAdds.join(', ')} } from ${quote}${PG_CORE_MODULE}${quote}${semicolons ? ';' : ''}`,
    };
  }

  private removeDeclaration(declaration: PgCoreImport): TextEdit {
    const { text } = this.file;
    let end = declaration.span.end;
    if (text.startsWith('\r\n', end)) end += 2;
    else if (text.startsWith('\n', end)) end += 1;
    return { start: declaration.span.start, end, text: '' };
  }

  /** Re-renders `{ ... }` in the declaration's own layout. */
  private renderBraces(declaration: PgCoreImport, kept: string[], adds: string[]): string {
    const original = this.file.text.slice(declaration.braces!.start, declaration.braces!.end);
    return renderNamedImports(original, kept, adds, this.file.eol);
  }
}

/** `{ a, b }` with names kept and added, in the original's layout: one line, or one specifier per line. */
export function renderNamedImports(original: string, kept: string[], adds: string[], eol: string): string {
  const specifiers = insertSorted(kept, adds);
  if (!original.includes('\n')) {
    const pad = original.startsWith('{ ') ? ' ' : '';
    return `{${pad}${specifiers.join(', ')}${pad}}`;
  }
  const firstLine = original.split(/\r?\n/)[1] ?? '  ';
  const indent = /^\s*/.exec(firstLine)?.[0] ?? '  ';
  const closingIndent = /\n([ \t]*)\}$/.exec(original)?.[1] ?? '';
  const trailingComma = /,\s*\}$/.test(original);
  const body = specifiers.map((s, i) => `${indent}${s}${i < specifiers.length - 1 || trailingComma ? ',' : ''}`);
  return `{${eol}${body.join(eol)}${eol}${closingIndent}}`;
}

/** Adds names in sorted position when the list is sorted, else at the end. */
function insertSorted(existing: string[], adds: string[]): string[] {
  const key = (s: string) => s.replace(/^type\s+/, '').toLowerCase();
  const sorted = existing.every((s, i) => i === 0 || key(existing[i - 1]!) <= key(s));
  if (!sorted) return [...existing, ...adds];
  return [...existing, ...adds].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
