import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { enableCompileCache, setV8Flags } from './compileCache';
import { KIT_PROCESS_ENV, KIT_NODE_FLAGS, KIT_RUNNER } from './generate/kitProcess';

/**
 * The CLI runs one command in a fresh process and exits; a library caller's
 * process lives on and calls move() again. What pays off differs: a fresh
 * process gains from a code cache and from doing its start-up work on the
 * second core (prettier in a worker), a long-lived one from the modules and
 * the JIT it has already warmed.
 */
let oneShot = false;

let prespawned: ChildProcess | undefined;

/**
 * Called by the CLI before it loads anything else. For a `move` that will
 * generate a migration, Node starts for drizzle-kit right away (its start-up
 * is the longest wait of a run); it learns which drizzle-kit to run once the
 * project is known (startDrizzleKit), and ends with this process if unused.
 */
export function markOneShotProcess(argv: string[] = []): void {
  oneShot = true;
  enableCompileCache();
  if (argv[0] === 'move' && !argv.some((a) => a === '--no-migration' || a === '--help' || a === '-h' || a === '--check')) {
    try {
      const child = spawn(process.execPath, [...KIT_NODE_FLAGS, KIT_RUNNER], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...KIT_PROCESS_ENV } });
      child.on('error', () => undefined);
      child.stdin.on('error', () => undefined);
      // Unused, it must not keep this process alive (a run that fails early exits at once).
      setHeld(child, false);
      process.once('exit', () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      prespawned = child;
    } catch {
      // drizzle-kit's process then starts when the project is known.
    }
  }
}

/** Whether a child process (and its pipes) keeps this process's event loop alive. */
function setHeld(child: ChildProcess, held: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?(): void; unref?(): void } | null>) {
    if (held) handle?.ref?.();
    else handle?.unref?.();
  }
}

/** The process started for drizzle-kit by markOneShotProcess, once (then it is the caller's, and holds the loop again). */
export function takePrespawnedKitProcess(): ChildProcess | undefined {
  const child = prespawned;
  prespawned = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
  setHeld(child, true);
  return child;
}

export function isOneShotProcess(): boolean {
  return oneShot;
}

/** Above this many bytes of named files, TurboFan's optimising pays for itself (see tuneForRunSize). */
const SMALL_RUN_BYTES = 128 * 1024;

/**
 * In a one-shot process (the CLI) that will plan and format only a few
 * files (`likelyPaths`: those named on the command line), turns V8's
 * optimising compiler off: TypeScript's parser and prettier
 * are JIT-cold in a fresh process, and for one file of a few hundred lines
 * TurboFan's compiling and deoptimising cost more than they save (measured:
 * check + format of the 000 fixture's 475-line schema file, 0.56 s CPU with
 * it, 0.29 s without). With 100 files it is the reverse (5 s against 8 s),
 * hence the size limit. The flag is process-wide.
 */
export function tuneForRunSize(likelyPaths: string[]): void {
  if (!oneShot) return;
  let bytes = 0;
  for (const path of likelyPaths) {
    try {
      bytes += statSync(path).size;
    } catch {
      // A missing file is the plan's to report.
    }
  }
  if (bytes <= SMALL_RUN_BYTES) setV8Flags('--no-opt');
}
