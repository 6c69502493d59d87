import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { ToolError } from '../../errors';
import { DEFAULT_TIMEOUT_MS, KIT_ENV, type DrizzleKit, type KitRun } from '../drizzleKit';
import type { Hint, UnresolvedItem } from './hints';

/** What drizzle-kit 1.0's SDK `generate` takes (rc.5's `GenerateOptions`: the CLI's flags, hints as an array). */
export interface SdkGenerateOptions {
  config: string;
  name: string;
  hints?: Hint[];
  custom?: boolean;
}

/** The SDK's answer: the JSON line `generate --output json` prints (rc.5). */
export interface SdkAnswer {
  status: string;
  migration_path?: string;
  unresolved?: UnresolvedItem[];
  error?: { code: string; message?: string };
}

/** The process's entry point, beside the CLI's: the same path from dist/generate/kit10 and src/generate/kit10. */
const WORKER = join(__dirname, '..', '..', '..', 'bin', 'drizzle-kit-sdk.js');

/**
 * drizzle-kit 1.0 in a process of its own, driven through its SDK
 * (`drizzle-kit/cli`, whose `generate` is the CLI's command without argv):
 * loading that bundle is most of a generate's time (~0.26 s of ~0.4 s on the
 * 000 fixture, Node 20), so the CLI starts the process before it plans
 * (startKit10Early) and hands it the request once the schema is rewritten.
 */
export class Kit10Process {
  private readonly child: ChildProcess;
  private stderr = '';
  /** How the process ended, once it has (an exit code or signal, or why it could not start). */
  private ended: string | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (message: { answer?: SdkAnswer; error?: string }) => void>();

  constructor(
    readonly kit: DrizzleKit,
    cwd: string,
  ) {
    this.child = spawn(process.execPath, [WORKER, join(dirname(kit.bin), 'cli.js')], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...KIT_ENV },
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('message', (message: { id: number; answer?: SdkAnswer; error?: string }) => {
      const answer = this.pending.get(message.id);
      this.pending.delete(message.id);
      answer?.(message);
    });
    this.child.on('error', (error) => this.end(`could not be started: ${error.message}`));
    this.child.on('exit', (code, signal) => this.end(`exit ${code ?? signal}`));
  }

  /**
   * The SDK's `generate(options)`, run in `cwd` (the copy of the project).
   * drizzle-kit's own failures come back as answers (`status: 'error'`); a
   * throw or the process's end is a ToolError worded by `describe`.
   */
  generate(cwd: string, options: SdkGenerateOptions, describe: (run: KitRun) => string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SdkAnswer> {
    const failed = (how: string, error?: string) =>
      new ToolError(`drizzle-kit ${this.kit.version} generate failed (${how}): ${describe({ code: null, stdout: '', stderr: `${this.stderr}\n${error ?? ''}` })}`);
    if (this.ended !== undefined) return Promise.reject(failed(this.ended));
    const id = this.nextId++;
    return new Promise<SdkAnswer>((resolve, reject) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      this.pending.set(id, (message) => {
        clearTimeout(timer);
        if (message.answer) resolve(message.answer);
        else reject(failed(this.ended ?? 'it threw', message.error));
      });
      this.child.send({ id, cwd, options });
    });
  }

  /**
   * Ends the process; this one does not wait for it to go. An idle process is only
   * disconnected: it then exits by itself, and Node writes the code it compiled to the
   * compile cache (NODE_COMPILE_CACHE) as it exits, which a killed process never does,
   * so that the next run loads drizzle-kit's bundle from the cache (~0.2 s instead of
   * ~0.35 s on Node 22). One still busy with a request is killed.
   */
  stop(): void {
    if (this.pending.size > 0) this.child.kill();
    if (this.child.connected) this.child.disconnect();
    this.child.unref();
    this.child.stderr!.destroy();
  }

  private end(how: string): void {
    this.ended ??= how;
    for (const answer of this.pending.values()) answer({});
    this.pending.clear();
  }
}

/** Processes the CLI started ahead of the plan, by the drizzle-kit they load, each taken once. */
const early = new Map<string, Kit10Process>();

/** Starts drizzle-kit 1.0's process for a run before it is needed; `stopEarlyKits` ends any nobody took. */
export function startKit10Early(kit: DrizzleKit, projectRoot: string): void {
  if (!early.has(kit.bin)) early.set(kit.bin, new Kit10Process(kit, projectRoot));
}

/** The process started early for this drizzle-kit, else a new one; the caller stops it. */
export function kit10Process(kit: DrizzleKit, projectRoot: string): Kit10Process {
  const started = early.get(kit.bin);
  early.delete(kit.bin);
  return started ?? new Kit10Process(kit, projectRoot);
}

export function stopEarlyKits(): void {
  for (const process of early.values()) process.stop();
  early.clear();
}
