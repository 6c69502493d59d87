import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Options } from 'prettier';
import { setV8Flags } from '../compileCache';
import type { FileEdit } from './rewriteSchemaFiles';

type Prettier = typeof import('prettier');

export interface FormatResult {
  edits: FileEdit[];
  /** Files formatted with the project's prettier config. */
  formatted: string[];
}

/** What formatting a file needs to know about it before the move. */
interface BeforeMove {
  /** The project's prettier options for the file; undefined when no prettier config applies. */
  options: Options | undefined;
  /** Whether the file was already formatted: only then is the rewritten file formatted. */
  formatted: boolean;
}

/**
 * Prettier, loaded once, with what it learnt about each file: a file's check
 * is computed once per text, so it can be made ahead (`prefetch`), before
 * the rewrite asks for it.
 */
export class PrettierSession {
  private readonly prettier: Prettier = require('prettier');
  // One config lookup per folder: each lookup walks up the tree (~180 stat calls).
  private readonly configByDir = new Map<string, Promise<string | null>>();
  private readonly checks = new Map<string, { text: string; result: Promise<BeforeMove> }>();

  /** Options and formatted-ness of `path` holding `text` (its content before the move). */
  beforeMove(path: string, text: string): Promise<BeforeMove> {
    const known = this.checks.get(path);
    if (known && known.text === text) return known.result;
    const result = this.computeBeforeMove(path, text);
    this.checks.set(path, { text, result });
    return result;
  }

  private configFor(path: string): Promise<string | null> {
    const dir = dirname(path);
    if (!this.configByDir.has(dir)) this.configByDir.set(dir, this.prettier.resolveConfigFile(path));
    return this.configByDir.get(dir)!;
  }

  private async computeBeforeMove(path: string, text: string): Promise<BeforeMove> {
    const configFile = await this.configFor(path);
    if (!configFile) return { options: undefined, formatted: false };
    const config = (await this.prettier.resolveConfig(path, { config: configFile, editorconfig: true })) ?? {};
    const crlf = stripBom(text).includes('\r\n');
    // prettier's endOfLine defaults to lf: keep the file's own line endings.
    const options: Options = { ...config, filepath: path, endOfLine: crlf ? 'crlf' : 'lf' };
    return { options, formatted: await this.prettier.check(stripBom(text), options) };
  }

  /**
   * Formats touched files with the project's own prettier config. A file is only
   * formatted when it was already formatted before the move: otherwise prettier
   * would rewrite lines the move does not concern.
   */
  async format(edits: FileEdit[]): Promise<FormatResult> {
    const befores = edits.map((e) => this.beforeMove(e.path, e.before));
    // Awaited in order below; a later one failing while an earlier one is awaited is not unhandled.
    for (const before of befores) before.catch(() => {});
    const formatted: string[] = [];
    const out: FileEdit[] = [];
    for (const [i, edit] of edits.entries()) {
      const { options, formatted: wasFormatted } = await befores[i]!;
      if (!options || !wasFormatted) {
        out.push(edit);
        continue;
      }
      const bom = edit.before.startsWith('\ufeff');
      const after = await this.prettier.format(stripBom(edit.after), options);
      formatted.push(edit.path);
      out.push({ ...edit, after: bom ? `\ufeff${after}` : after });
    }
    return { edits: out, formatted };
  }
}

function totalSize(paths: string[]): number {
  let bytes = 0;
  for (const path of paths) {
    try {
      bytes += statSync(path).size;
    } catch {
      // A missing file is the plan's to report.
    }
  }
  return bytes;
}

function stripBom(text: string): string {
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

export async function formatFiles(edits: FileEdit[]): Promise<FormatResult> {
  if (edits.length === 0) return { edits, formatted: [] };
  return new PrettierSession().format(edits);
}

/** Formatting running beside the pipeline: `format` gives the same result as formatFiles. */
export interface Formatter {
  format(edits: FileEdit[]): Promise<FormatResult>;
  dispose(): void;
}

/** Messages to the worker (formatWorker.ts) and back. */
export type FormatRequest = { type: 'prefetch'; paths: string[] } | { type: 'format'; edits: FileEdit[] };
export type FormatReply = { type: 'formatted'; result: FormatResult } | { type: 'failed'; error: unknown };

/** Above this many bytes of named files, TurboFan's optimising pays for itself (see startFormatter). */
const SMALL_RUN_BYTES = 128 * 1024;

/**
 * In a one-shot process (the CLI), starts prettier in a worker thread right
 * away: loading it and checking the files the move will most likely touch
 * (`likelyPaths`, read from disk) then happens on the second core while this
 * thread plans, and formatting the rewrite happens while drizzle-kit's
 * process generates the migration. A long-lived process formats in its own
 * thread, where prettier stays loaded and warm from one call to the next; so
 * does any process where the compiled worker is not at hand (the TypeScript
 * sources run by jest) or cannot start.
 *
 * For a small run the one-shot process also turns V8's optimising compiler
 * off: prettier is JIT-cold in a fresh process, and for one file of a few
 * hundred lines TurboFan's compiling and deoptimising cost more than they
 * save (measured: check + format of the 000 fixture's 475-line schema file,
 * 0.56 s CPU with it, 0.29 s without). With 100 files it is the reverse
 * (5 s against 8 s), hence the size limit. The flag is process-wide; the plan
 * of a small run is indifferent to it.
 */
export function startFormatter(likelyPaths: string[], { oneShot }: { oneShot: boolean }): Formatter {
  if (!oneShot) return { format: formatFiles, dispose() {} };
  if (totalSize(likelyPaths) <= SMALL_RUN_BYTES) setV8Flags('--no-opt');
  const script = join(__dirname, 'formatWorker.js');
  let worker: Worker | undefined;
  try {
    if (existsSync(script)) worker = new Worker(script);
  } catch {
    worker = undefined;
  }
  if (!worker) return { format: formatFiles, dispose() {} };
  const running = worker;
  // A worker that dies without an answer (it could not start, say) leaves the work to this thread.
  const gone = new Promise<undefined>((resolve) => {
    running.once('error', () => resolve(undefined));
    running.once('exit', () => resolve(undefined));
  });
  running.postMessage({ type: 'prefetch', paths: likelyPaths } satisfies FormatRequest);
  let used = false;
  return {
    async format(edits) {
      if (edits.length === 0) return { edits, formatted: [] };
      if (used) return formatFiles(edits);
      used = true;
      const reply = new Promise<FormatReply>((resolve) => running.once('message', resolve));
      running.postMessage({ type: 'format', edits } satisfies FormatRequest);
      const answer = await Promise.race([reply, gone]);
      if (!answer) return formatFiles(edits);
      if (answer.type === 'failed') throw answer.error;
      return answer.result;
    },
    dispose() {
      void running.terminate();
    },
  };
}
