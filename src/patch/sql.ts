/**
 * A double-quoted Postgres identifier: an embedded `"` is doubled, so no name
 * (a role from --grant, a table name with quotes) can end the identifier and
 * start SQL of its own. NUL cannot be quoted at all; the plan refuses it first.
 */
export function ident(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier with a NUL byte reached the SQL writer: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}
