import { keepViewsAcrossMoves, type KitView } from '../src/generate/kit10/views';

// The statements as drizzle-kit 1.0.0-rc.5 wrote them for `users` moved to auth with rename hints.
const STATEMENTS = [
  'CREATE SCHEMA "auth";',
  'DROP VIEW "user_emails";',
  'DROP MATERIALIZED VIEW "user_count";',
  'CREATE VIEW "user_emails" AS (select "id", "email" from "auth"."users");',
  'CREATE MATERIALIZED VIEW "user_count" AS (select count(*) as "n" from "auth"."users");',
];
const view = (name: string, definition: string, materialized = false): KitView => ({
  schema: 'public',
  name,
  definition,
  with: null,
  withNoData: null,
  using: null,
  tablespace: null,
  materialized,
  entityType: 'views',
});
const MOVE = [{ kind: 'table' as const, name: 'users', from: 'public', to: 'auth' }];
const BEFORE = [view('user_emails', 'select "id", "email" from "users"'), view('user_count', 'select count(*) as "n" from "users"', true)];

describe('keepViewsAcrossMoves', () => {
  it('leaves out drop/create pairs that only requalify a moved table', () => {
    const after = [view('user_emails', 'select "id", "email" from "auth"."users"'), view('user_count', 'select count(*) as "n" from "auth"."users"', true)];
    expect(keepViewsAcrossMoves(STATEMENTS, BEFORE, after, MOVE)).toEqual(['CREATE SCHEMA "auth";']);
  });

  it('keeps a pair whose definition also changed otherwise', () => {
    const after = [view('user_emails', 'select "id" from "auth"."users"'), view('user_count', 'select count(*) as "n" from "auth"."users"', true)];
    const statements = [...STATEMENTS.slice(0, 3), 'CREATE VIEW "user_emails" AS (select "id" from "auth"."users");', STATEMENTS[4]!];
    expect(keepViewsAcrossMoves(statements, BEFORE, after, MOVE)).toEqual([
      'CREATE SCHEMA "auth";',
      'DROP VIEW "user_emails";',
      'CREATE VIEW "user_emails" AS (select "id" from "auth"."users");',
    ]);
  });

  it('keeps every pair when nothing it names moved', () => {
    const after = [view('user_emails', 'select "id", "email" from "auth"."users"'), view('user_count', 'select count(*) as "n" from "auth"."users"', true)];
    expect(keepViewsAcrossMoves(STATEMENTS, BEFORE, after, [])).toEqual(STATEMENTS);
  });
});
