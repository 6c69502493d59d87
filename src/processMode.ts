import { enableCompileCache } from './compileCache';

/**
 * The CLI runs one command in a fresh process and exits; a library caller's
 * process lives on and calls move() again. What pays off differs: a fresh
 * process gains from a code cache and from doing its start-up work on the
 * second core (prettier in a worker), a long-lived one from the modules and
 * the JIT it has already warmed.
 */
let oneShot = false;

/** Called by the CLI before it loads anything else. */
export function markOneShotProcess(): void {
  oneShot = true;
  enableCompileCache();
}

export function isOneShotProcess(): boolean {
  return oneShot;
}
