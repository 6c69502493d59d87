import { qualified } from '../sql/identifiers';

/**
 * A column type as the row generator needs it, read from a drizzle-kit
 * snapshot (`varchar(24)`, `numeric(4, 3)`, `integer[][]`, `mood[]` with its
 * typeSchema) or from Postgres' format_type (`character varying(24)`,
 * `timestamp(2) with time zone`, `s0.mood[]`).
 */
export interface ColumnType {
  /** Canonical element type: `varchar`, `numeric`, `timestamptz`, `enum`, ... */
  base: string;
  /** The numbers in parentheses: length, precision and scale, dimensions. */
  args: number[];
  /** Array dimensions (0 for a scalar). */
  dims: number;
  /** The element type as SQL, for casts. */
  elementSql: string;
  /** The whole type as SQL. */
  sql: string;
  /** Interval fields (`day to second`): the last one is the unit a step must not fall below. */
  fields?: string;
  enumValues?: string[];
}

const ALIASES: Record<string, string> = {
  'character varying': 'varchar',
  character: 'char',
  bpchar: 'char',
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  int2: 'smallint',
  float8: 'double precision',
  float4: 'real',
  float: 'double precision',
  decimal: 'numeric',
  bool: 'boolean',
  'bit varying': 'varbit',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
  serial4: 'serial',
  serial8: 'bigserial',
  serial2: 'smallserial',
};

/** `enums` is keyed `schema.name`, as in the snapshot. */
export function parseColumnType(type: string, typeSchema: string | undefined, enums: Record<string, { values: string[] }>): ColumnType {
  let rest = type.trim();
  let dims = 0;
  while (/\[\d*\]$/.test(rest)) {
    rest = rest.replace(/\[\d*\]$/, '');
    dims++;
  }
  const elementSql = typeSchema !== undefined ? qualified(typeSchema, rest.replace(/^"|"$/g, '')) : rest;
  const sql = `${elementSql}${'[]'.repeat(dims)}`;
  const enumKey = typeSchema !== undefined ? `${typeSchema}.${rest}` : enumKeyOf(rest, enums);
  if (enumKey && enums[enumKey]) return { base: 'enum', args: [], dims, elementSql, sql, enumValues: enums[enumKey]!.values };
  const argText = /\(([-\d\s,]+)\)/.exec(rest)?.[1];
  const args = argText ? argText.split(',').map((a) => Number(a.trim())) : [];
  let name = rest
    .replace(/\(([-\d\s,]+)\)/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  let fields: string | undefined;
  const interval = /^interval\s*(.*)$/.exec(name);
  if (interval) {
    fields = interval[1] || undefined;
    name = 'interval';
  }
  return { base: ALIASES[name] ?? name, args, dims, elementSql, sql, ...(fields ? { fields } : {}) };
}

/** format_type writes an enum as `schema.name` (quoted where needed). */
function enumKeyOf(text: string, enums: Record<string, unknown>): string | undefined {
  const m = /^(?:"((?:[^"]|"")+)"|([^".]+))\.(?:"((?:[^"]|"")+)"|([^".]+))$/.exec(text);
  if (!m) return enums[`public.${text}`] ? `public.${text}` : undefined;
  return `${(m[1] ?? m[2])!.replace(/""/g, '"')}.${(m[3] ?? m[4])!.replace(/""/g, '"')}`;
}

/** How many distinct values of the type fit in `width` characters of text: unbounded when undefined. */
export function textWidth(t: ColumnType): number | undefined {
  if (t.dims > 0) return undefined;
  if (t.base === 'varchar' || t.base === 'char') return t.args[0] ?? (t.base === 'char' ? 1 : undefined);
  return undefined;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * One value of the element type for the row numbered by the SQL integer
 * expression `n` (>= 1): different rows get different values as far as the
 * type allows (a boolean has two), and every value fits the type's modifiers.
 * `width` narrows text further (a narrower FK column will copy it). Undefined
 * when the type is unknown.
 */
export function elementValue(t: ColumnType, n: string, tag: string, width?: number): string | undefined {
  const [a0, a1] = t.args;
  switch (t.base) {
    case 'enum': {
      const values = t.enumValues!;
      if (values.length === 0) return undefined;
      return `(ARRAY[${values.map(literal).join(', ')}])[((${n} - 1) % ${values.length}) + 1]::${t.elementSql}`;
    }
    case 'uuid':
      return `md5(${literal(tag)} || (${n})::text)::uuid`;
    case 'text':
    case 'citext':
    case 'varchar':
    case 'char': {
      // The distinguishing part first, so a short column still tells rows apart.
      const text = `to_hex(${n}) || ${literal(`-${tag}`)}`;
      const limit = Math.min(width ?? Infinity, textWidth(t) ?? Infinity);
      return Number.isFinite(limit) ? `left(${text}, ${limit})` : `(${text})`;
    }
    case 'smallint':
      return `((${n}) % 32767)::smallint`;
    case 'integer':
      return `((${n}) % 2147483647)::integer`;
    case 'bigint':
      return `(${n})::bigint`;
    case 'numeric':
      if (a0 === undefined) return `((${n}) + 0.25)::numeric`;
      // numeric(p, s) holds p digits, s of them after the point (s may exceed p, or be negative).
      return `(mod((${n})::numeric, power(10::numeric, ${a0})) * power(10::numeric, ${-(a1 ?? 0)}))::${t.elementSql}`;
    case 'real':
    case 'double precision':
      return `((${n}) + 0.5)::${t.base}`;
    case 'money':
      return `((${n}) * 1.25)::numeric::money`;
    case 'boolean':
      return `((${n}) % 2 = 0)`;
    case 'date':
      // Row numbers on a live server start past 10^9: wrap before the calendar ends.
      return `(date '2000-01-01' + ((${n}) % 1000000)::integer)`;
    case 'timestamp':
    case 'timestamptz':
      return `(timestamp '2025-01-01' + ((${n}) % 100000000) * interval '1 minute')::${t.elementSql}`;
    case 'time':
    case 'timetz':
      return `(time '00:00' + ((${n}) % 86400) * interval '1 second')::${t.elementSql}`;
    case 'interval': {
      const unit = /(year|month|day|hour|minute|second)\s*(\(\d+\))?$/.exec(t.fields ?? '')?.[1] ?? 'second';
      return `(((${n}) % 100000) * interval '1 ${unit}')::${t.elementSql}`;
    }
    case 'json':
    case 'jsonb':
      return `${t.base}_build_object('n', ${n}, 'tag', ${literal(tag)}, 'list', ${t.base}_build_array(${n}, 'x'))`;
    case 'bytea':
      return `decode(md5((${n})::text), 'hex')`;
    case 'inet':
    case 'cidr':
      return `('10.' || ((${n}) / 65536) % 256 || '.' || ((${n}) / 256) % 256 || '.' || (${n}) % 256)::${t.base}`;
    case 'macaddr':
      return `lpad(to_hex(${n}), 12, '0')::macaddr`;
    case 'macaddr8':
      return `lpad(to_hex(${n}), 16, '0')::macaddr8`;
    case 'bit':
      return `(${n})::bigint::bit(${a0 ?? 1})`;
    case 'varbit':
      return `(${n})::bigint::bit(${a0 ?? 32})::${t.elementSql}`;
    case 'point':
      return `point(${n}, (${n}) + 1)`;
    case 'line':
      return `line(point(0, ${n}), point(1, (${n}) + 1))`;
    case 'lseg':
      return `lseg(point(0, ${n}), point(1, (${n}) + 1))`;
    case 'box':
      return `box(point(0, ${n}), point(1, (${n}) + 1))`;
    case 'circle':
      return `circle(point(0, ${n}), 1)`;
    case 'tsvector':
      return `to_tsvector('simple', 'word' || (${n})::text || ' ' || ${literal(tag)})`;
    case 'vector':
    case 'halfvec':
      if (a0 === undefined) return undefined;
      // Every element in [0, 1), varied by row: vectors that differ in one large element point
      // almost the same way, and an hnsw index takes 5x as long to insert such near-duplicates.
      // Built as a real[] in float arithmetic: numeric division and text parsing took 8x as long.
      return (
        `array_prepend(((${n}) % 60000)::real / 60000, ` +
        `ARRAY(SELECT (((${n}) * 31 + i * 17) % 97)::real / 97 FROM generate_series(2, ${a0}) i))::${t.elementSql}`
      );
    case 'sparsevec':
      if (a0 === undefined) return undefined;
      return `('{1:' || ((${n}) % 60000 + 1)::text || '}/${a0}')::${t.elementSql}`;
    default:
      return undefined;
  }
}

/** Elements per array dimension: enough to see that arrays keep their contents, few enough to stay cheap. */
const ARRAY_LENGTH = 2;

/** A value of the whole column type (arrays filled, of the declared dimensions) for row `n`. */
export function columnValue(t: ColumnType, n: string, tag: string, width?: number): string | undefined {
  if (t.dims === 0) return elementValue(t, n, tag, width);
  if (elementValue(t, n, tag, width) === undefined) return undefined;
  const build = (depth: number, index: string): string => {
    if (depth === t.dims) return elementValue(t, index, tag, width)!;
    const parts = Array.from({ length: ARRAY_LENGTH }, (_, i) => build(depth + 1, `((${index}) * ${ARRAY_LENGTH} + ${i})`));
    return `${depth === 0 ? 'ARRAY' : ''}[${parts.join(', ')}]`;
  };
  return `${build(0, n)}::${t.sql}`;
}

const INTEGER_RANGE: Record<string, [number, number]> = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Whether a number literal can be cast to the scalar type without an error. */
function numberFits(t: ColumnType, value: number): boolean {
  const range = INTEGER_RANGE[t.base];
  if (range) return Number.isInteger(value) && value >= range[0] && value <= range[1];
  if (t.base === 'numeric') {
    const [p, s = 0] = t.args;
    return p === undefined || Math.abs(value) < 10 ** (p - s) - 10 ** -s / 2;
  }
  return t.base === 'real' || t.base === 'double precision';
}

/** A value of the numeric type far above the generated ones, still in its range. */
function largeValue(t: ColumnType, n: string): string | undefined {
  if (t.base === 'smallint') return `(((${n}) % 16383) + 16384)::smallint`;
  if (t.base === 'integer') return `(((${n}) % 1000000000) + 1000000000)::integer`;
  if (t.base === 'bigint' || t.base === 'real' || t.base === 'double precision') return `((${n}) + 1000000000000)::${t.elementSql}`;
  if (t.base !== 'numeric') return undefined;
  const [p, s = 0] = t.args;
  if (p === undefined) return `((${n}) + 1000000000000)::numeric`;
  return p - s > 0 ? `(power(10::numeric, ${p - s}) - 1)::${t.elementSql}` : undefined;
}

/**
 * Values to try, in order, for a column a CHECK constraint names: the
 * generated value first, then values built from the constraint's own
 * literals (a rating limited to 1..5 gets 1..5), shifted values for
 * comparisons between columns, and NULL when the column allows it.
 */
export function checkCandidates(t: ColumnType, n: string, tag: string, check: string, nullable: boolean, width?: number): string[] {
  const base = columnValue(t, n, tag, width);
  if (base === undefined) return nullable ? ['NULL'] : [];
  const out = [base];
  if (t.dims === 0) {
    const numbers = [...new Set([...check.replace(/'(?:[^']|'')*'/g, ' ').matchAll(/(?<![\w."])-?\d+(?:\.\d+)?(?![\w"])/g)].map((m) => Number(m[0])))];
    const strings = [...new Set([...check.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'")))];
    if (INTEGER_RANGE[t.base] || ['numeric', 'real', 'double precision'].includes(t.base)) {
      const sorted = [...numbers].sort((a, b) => a - b);
      for (let i = 0; i + 1 < sorted.length; i++) {
        const [lo, hi] = [sorted[i]!, sorted[i + 1]!];
        const span = Math.floor(hi - lo) + 1;
        if (Number.isInteger(lo) && numberFits(t, lo) && numberFits(t, hi)) out.push(`(${lo} + ((${n}) % ${span}))::${t.elementSql}`);
      }
      for (const v of numbers.flatMap((x) => [x, x + 1, x - 1])) if (numberFits(t, v)) out.push(`(${v})::${t.elementSql}`);
      // The generated value fits the type, and so does its negation; a large value (or its negation) passes comparisons with bounded ones.
      out.push(`(-(${base}))::${t.elementSql}`);
      const large = largeValue(t, n);
      if (large) out.push(large, `(-(${large}))::${t.elementSql}`);
    } else if (['text', 'citext', 'varchar', 'char'].includes(t.base)) {
      const limit = Math.min(width ?? Infinity, textWidth(t) ?? Infinity);
      for (const s of strings) out.push(`${literal(Number.isFinite(limit) ? [...s].slice(0, limit).join('') : s)}::${t.elementSql}`);
    } else if (t.base === 'enum') {
      for (const s of strings) if (t.enumValues!.includes(s)) out.push(`${literal(s)}::${t.elementSql}`);
    } else if (['date', 'timestamp', 'timestamptz'].includes(t.base)) {
      out.push(`(${base} + interval '1 day')::${t.elementSql}`, `(${base} - interval '1 day')::${t.elementSql}`);
    } else if (t.base === 'boolean') {
      out.push('true', 'false');
    }
  }
  if (nullable) out.push('NULL');
  return [...new Set(out)];
}

const TEXT_TYPES = ['text', 'citext', 'varchar', 'char'];

/**
 * Shapes of the text a generated column's expression reads, after the plain
 * generated text (shape 0): digits, then digits joined by each short string
 * literal of the expression (`CAST(SPLIT_PART(version, '.', 2) AS INTEGER)`
 * takes '7.7.7'). Seeding tries them in turn while Postgres refuses the
 * expression's result; undefined past the last one, or for a column that is
 * not text.
 */
export function generatedInputValue(t: ColumnType, n: string, expressions: string, shape: number): string | undefined {
  if (t.dims > 0 || !TEXT_TYPES.includes(t.base)) return undefined;
  const separators = [...new Set([...expressions.matchAll(/'((?:[^']|''){1,3})'/g)].map((m) => m[1]!.replace(/''/g, "'")))].filter((sep) => !/\w/.test(sep));
  const digits = `(${n})::text`;
  const shapes = [digits, ...separators.map((sep) => `concat_ws(${literal(sep)}, ${digits}, ${digits}, ${digits})`)];
  const value = shapes[shape - 1];
  return value === undefined ? undefined : `(${value})::${t.elementSql}`;
}

