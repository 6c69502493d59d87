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
});

describe('verify arguments', () => {
  const saved = process.env.DATABASE_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  });

  it('defaults: newest migration, PGlite, 1000 rows, no server', async () => {
    delete process.env.DATABASE_URL;
    const args = (await parseAny(['verify'])) as VerifyArgs;
    expect(args).toMatchObject({ engine: 'pglite', rows: 1000, commit: false, lockTimeout: 5000, statementTimeout: 60000, format: 'text' });
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
