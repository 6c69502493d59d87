/**
 * Named points in the pipeline where a test can make the run fail, to prove
 * that a failure anywhere leaves the user's tree as it was. Set by the library
 * option `failAt`, or by DRIZZLE_RESCHEMA_FAIL_AT for spawned CLI tests.
 */
export type Checkpoint =
  | 'plan:done'
  | 'rewrite:done'
  | 'generate:before-kit'
  | 'generate:after-kit'
  | 'patch:done'
  | 'verify:start'
  | 'write:staged'
  | 'write:renamed';

let armed: string | undefined = process.env.DRIZZLE_RESCHEMA_FAIL_AT || undefined;

export class InjectedFault extends Error {
  constructor(readonly point: string) {
    super(`injected failure at ${point}`);
    this.name = 'InjectedFault';
  }
}

export function armFault(point: string | undefined): void {
  armed = point;
}

export function checkpoint(point: Checkpoint): void {
  if (armed === point) throw new InjectedFault(point);
}
