import { buildParser, type MoveArgs } from '../src/cli';

/**
 * Argument parsing alone: the handler only records what it was given, so
 * nothing is planned, rewritten or written here.
 */
async function parse(argv: string[]): Promise<MoveArgs> {
  const calls: MoveArgs[] = [];
  await buildParser(argv, {
    move: async (args) => {
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
