import { buildParser, type MoveArgs, type VerifyArgs } from '../src/cli';

/**
 * Argument parsing alone: the handler only records what it was given, so
 * nothing is planned, rewritten or written here.
 */
async function parse(argv: string[]): Promise<MoveArgs> {
  return (await parseAny(argv)) as MoveArgs;
}

async function parseAny(argv: string[]): Promise<MoveArgs | VerifyArgs> {
  const calls: Array<MoveArgs | VerifyArgs> = [];
  await buildParser(argv, {
    move: async (args) => {
      calls.push(args);
    },
    verify: async (args) => {
      calls.push(args);
    },
  })
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message);
    })
    .parseAsync();
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

describe('move arguments', () => {
  it('passes the files and --to, with the defaults for everything else', async () => {
    const args = await parse(['move', 'src/a.ts', 'src/b.ts', '--to', 'feature_planner']);
    expect(args).toMatchObject({
      files: ['src/a.ts', 'src/b.ts'],
      to: 'feature_planner',
      migration: true,
      verify: true,
      dryRun: false,
      cwd: process.cwd(),
      format: 'text',
      debug: false,
    });
    expect(args.tables).toBeUndefined();
    expect(args.enums).toBeUndefined();
  });

  it('leaves --to out when it is not given', async () => {
    const args = await parse(['move', 'src/a.ts']);
    expect('to' in args).toBe(false);
  });

  it('splits --tables on commas and merges repeated flags', async () => {
    const args = await parse(['move', 'schema.ts', '--to', 'x', '--tables', 'a,b', '--tables', 'c']);
    expect(args.tables).toEqual(['a', 'b', 'c']);
  });

  it('splits --enums the same way and drops empty items and spaces', async () => {
    const args = await parse(['move', 'schema.ts', '--to', 'x', '--enums', 'status, risk,', '--enums', 'kind']);
    expect(args.enums).toEqual(['status', 'risk', 'kind']);
  });

  it('reads --no-migration, --no-verify and --dry-run', async () => {
    const args = await parse(['move', 'schema.ts', '--to', 'x', '--no-migration', '--no-verify', '--dry-run']);
    expect(args).toMatchObject({ migration: false, verify: false, dryRun: true });
  });

  it('reads --cwd, --format json and --debug', async () => {
    const args = await parse(['move', 'schema.ts', '--to', 'x', '--cwd', '/tmp/project', '--format', 'json', '--debug']);
    expect(args).toMatchObject({ cwd: '/tmp/project', format: 'json', debug: true });
  });

  it('rejects an unknown option', async () => {
    await expect(parse(['move', 'schema.ts', '--to', 'x', '--tabels', 'a'])).rejects.toThrow(/Unknown argument/);
  });

  it('rejects an unknown command', async () => {
    await expect(parse(['moev', 'schema.ts'])).rejects.toThrow(/Unknown argument/);
  });

  it('rejects a move without files', async () => {
    await expect(parse(['move', '--to', 'x'])).rejects.toThrow(/Not enough non-option arguments/);
  });

  it('rejects a run without a command', async () => {
    await expect(parse([])).rejects.toThrow(/Name a command: move/);
  });

  it('rejects a --format it does not know', async () => {
    await expect(parse(['move', 'schema.ts', '--format', 'xml'])).rejects.toThrow(/Invalid values/);
  });

  it('does not swallow a file named after --tables, --enums or --grant', async () => {
    const args = await parse(['move', '--tables', 'a,b', 'schema.ts', '--enums', 'e', 'other.ts', '--grant', 'app', 'third.ts', '--to', 'x']);
    expect(args.files).toEqual(['schema.ts', 'other.ts', 'third.ts']);
    expect(args.tables).toEqual(['a', 'b']);
    expect(args.enums).toEqual(['e']);
    expect(args.grant).toEqual(['app']);
  });

  it('does not swallow a file named after --map or --create-schema', async () => {
    const args = await parse(['move', '--map', 'growth=entities,jobs', 'a.ts', '--create-schema', 'archive', 'b.ts', '--map', 'shared=users']);
    expect(args.files).toEqual(['a.ts', 'b.ts']);
    expect(args.map).toEqual({ growth: ['entities', 'jobs'], shared: ['users'] });
    expect(args.createSchemas).toEqual(['archive']);
  });

  it('splits --grant on commas and merges repeated flags', async () => {
    const args = await parse(['move', 'schema.ts', '--to', 'x', '--grant', 'anon,authenticated', '--grant', 'service_role']);
    expect(args.grant).toEqual(['anon', 'authenticated', 'service_role']);
  });

  it('keeps an empty --tables as an empty list (refused by the plan), rather than dropping it and moving everything', async () => {
    const args = await parse(['move', 'schema.ts', '--to', 'x', '--tables', '']);
    expect(args.tables).toEqual([]);
  });

  it('reads --lock-timeout as whole milliseconds', async () => {
    expect((await parse(['move', 'schema.ts', '--to', 'x', '--lock-timeout', '5000'])).lockTimeout).toBe(5000);
    expect((await parse(['move', 'schema.ts', '--to', 'x', '--lock-timeout', '0'])).lockTimeout).toBe(0);
  });

  it.each(['abc', '-5', '1.5', '', '1e3', '5s'])('rejects --lock-timeout %p', async (value) => {
    await expect(parse(['move', 'schema.ts', '--to', 'x', `--lock-timeout=${value}`])).rejects.toThrow(
      /--lock-timeout: .* is not a whole number of milliseconds/,
    );
  });

  it.each(['--to', '--name', '--config', '--cwd', '--lock-timeout'])('rejects %s given twice', async (flag) => {
    await expect(parse(['move', 'schema.ts', flag, '1', flag, '2'])).rejects.toThrow(new RegExp(`${flag} given 2 times`));
  });
});

describe('verify arguments', () => {
  const saved = process.env.DATABASE_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  });

  it('defaults: newest migration, PGlite, the verification\'s own row counts, no server', async () => {
    delete process.env.DATABASE_URL;
    const args = (await parseAny(['verify'])) as VerifyArgs;
    expect(args).toMatchObject({ engine: 'pglite', commit: false, lockTimeout: 5000, statementTimeout: 60000, format: 'text' });
    // No --rows: 1000 per table, fewer where an index makes rows costly (seedRowCounts.ts); --rows forces its count.
    expect(args.rows).toBeUndefined();
    expect(args.migration).toBeUndefined();
    expect(args.databaseUrl).toBeUndefined();
  });

  it('takes --migration, --engine, --rows and --format json', async () => {
    const args = (await parseAny(['verify', '--migration', '0001', '--engine', 'postgres', '--rows', '50', '--format', 'json'])) as VerifyArgs;
    expect(args).toMatchObject({ migration: '0001', engine: 'postgres', rows: 50, format: 'json' });
  });

  it('reads DATABASE_URL when --database-url is not given, and --database-url wins', async () => {
    process.env.DATABASE_URL = 'postgres://u:secret@db.example/app';
    expect(((await parseAny(['verify'])) as VerifyArgs).databaseUrl).toBe('postgres://u:secret@db.example/app');
    expect(((await parseAny(['verify', '--database-url', 'postgres://x@h/d'])) as VerifyArgs).databaseUrl).toBe('postgres://x@h/d');
  });

  it('refuses a bad number and an unknown engine', async () => {
    await expect(parseAny(['verify', '--rows', 'many'])).rejects.toThrow(/--rows must be a whole number/);
    await expect(parseAny(['verify', '--lock-timeout', '-5'])).rejects.toThrow(/--lock-timeout must be a whole number/);
    await expect(parseAny(['verify', '--engine', 'sqlite'])).rejects.toThrow(/engine/);
  });

  it('quotes the value that was typed, and refuses fractions, a missing value and repeats', async () => {
    await expect(parseAny(['verify', '--lock-timeout', 'abc'])).rejects.toThrow("--lock-timeout must be a whole number >= 0, got 'abc'");
    await expect(parseAny(['verify', '--statement-timeout', '1.5'])).rejects.toThrow("got '1.5'");
    await expect(parseAny(['verify', '--rows'])).rejects.toThrow(/Not enough arguments following: rows/);
    await expect(parseAny(['verify', '--rows', '1', '--rows', '2'])).rejects.toThrow('--rows given 2 times');
    await expect(parseAny(['move', 'schema.ts', '--to', 'x', '--rows', 'lots'])).rejects.toThrow("--rows must be a whole number >= 0, got 'lots'");
  });
});

describe('review and CI arguments', () => {
  it('--check is off by default and needs no value', async () => {
    expect((await parse(['move', 'schema.ts', '--to', 'x'])).check).toBe(false);
    expect(await parse(['move', 'schema.ts', '--to', 'x', '--check'])).toMatchObject({ check: true, dryRun: false });
  });

  it('reads --format markdown', async () => {
    expect((await parse(['move', 'schema.ts', '--to', 'x', '--dry-run', '--format', 'markdown'])).format).toBe('markdown');
  });

  it('passes --database-url through as given, and leaves it out when absent', async () => {
    const url = 'postgres://app:secret@db.example.com:5432/app?sslmode=require';
    expect((await parse(['move', 'schema.ts', '--to', 'x', '--database-url', url])).databaseUrl).toBe(url);
    expect('databaseUrl' in (await parse(['move', 'schema.ts', '--to', 'x']))).toBe(false);
  });

  it('rejects typos of the new flags and formats it does not have', async () => {
    await expect(parse(['move', 'schema.ts', '--to', 'x', '--chek'])).rejects.toThrow(/Unknown argument: chek/);
    await expect(parse(['move', 'schema.ts', '--to', 'x', '--format', 'md'])).rejects.toThrow(/Invalid values/);
  });
});

describe('--help', () => {
  /** The help text yargs would print, captured instead of printed; the handler never runs. */
  async function help(argv: string[]): Promise<string> {
    let ran = false;
    const output = await new Promise<string>((resolve) => {
      buildParser(argv, { move: async () => void (ran = true) })
        .exitProcess(false)
        .parse(argv, {}, (_error, _args, text) => resolve(text));
    });
    expect(ran).toBe(false);
    return output;
  }

  it('lists the commands at the top level', async () => {
    const text = await help(['--help']);
    expect(text).toContain('drizzle-reschema move <files..>');
  });

  it('documents every move option, with examples for review, CI and the database scan', async () => {
    const text = await help(['move', '--help']);
    for (const option of ['--to', '--tables', '--enums', '--no-migration', '--dry-run', '--format', '--check', '--database-url', '--grant']) {
      expect(text).toContain(option.replace('--no-', '--'));
    }
    expect(text).toContain('[choices: "text", "json", "markdown"]');
    expect(text).toContain('Examples:');
    // Column layout depends on the terminal width; the words do not.
    const examples = text.slice(text.indexOf('Examples:')).replace(/\s+/g, ' ');
    expect(examples).toContain('--format markdown');
    expect(examples).toContain('--check');
    expect(examples).toContain('In CI: fail while');
    expect(examples).toContain('--database-url');
  });
});
