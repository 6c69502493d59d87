import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ToolError } from '../errors';
import type { FileChange } from '../report/unifiedDiff';
import { checkpoint } from '../faults';

/**
 * Writes every change or none. Each new content is first written beside its
 * target under a temporary name; only when all are staged are they renamed
 * into place. A failure (or SIGINT) at any point puts back every file that was
 * already replaced, removes new files, temporary files and created folders,
 * and rethrows: the tree ends byte-identical to how it started.
 */
export function writeChanges(changes: FileChange[]): void {
  for (const change of changes) {
    if (change.before === undefined) {
      if (existsSync(change.path)) throw new ToolError(`${change.path}: appeared while the tool was running; nothing written`);
    } else if (!existsSync(change.path) || readFileSync(change.path, 'utf8') !== change.before) {
      throw new ToolError(`${change.path}: changed on disk while the tool was running; nothing written`);
    }
  }

  const suffix = `.reschema-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const createdDirs: string[] = [];
  const staged: { change: FileChange; temp: string }[] = [];
  const replaced: FileChange[] = [];
  let current = '';
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const change of changes) {
      current = change.path;
      ensureDir(dirname(change.path), createdDirs);
      const temp = change.path + suffix;
      writeFileSync(temp, change.after);
      staged.push({ change, temp });
      if (change.before !== undefined) chmodSync(temp, statSync(change.path).mode);
      checkpoint('write:staged');
      if (interrupted) throw new ToolError('interrupted; nothing written');
    }
    for (const { change, temp } of staged) {
      current = change.path;
      renameSync(temp, change.path);
      replaced.push(change);
      checkpoint('write:renamed');
      if (interrupted) throw new ToolError('interrupted; every file put back');
    }
  } catch (error) {
    restore(replaced, staged, createdDirs);
    // A file system refusal (EACCES, ENOSPC, ENOTDIR...) is a known failure: one line, exit 2, not a stack trace.
    const fsError = error as NodeJS.ErrnoException | undefined;
    if (typeof fsError?.code === 'string' && typeof fsError.syscall === 'string') {
      throw new ToolError(`${current}: cannot be written (${fsError.message}); every file put back, nothing written`);
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted) process.kill(process.pid, 'SIGINT');
}

function ensureDir(dir: string, created: string[]): void {
  if (existsSync(dir)) return;
  ensureDir(dirname(dir), created);
  mkdirSync(dir);
  created.push(dir);
}

function restore(replaced: FileChange[], staged: { temp: string }[], createdDirs: string[]): void {
  for (const change of replaced.reverse()) {
    try {
      if (change.before === undefined) unlinkSync(change.path);
      else writeFileSync(change.path, change.before);
    } catch {
      // Keep restoring the others; the caller reports the original error.
    }
  }
  for (const { temp } of staged) {
    try {
      if (existsSync(temp)) unlinkSync(temp);
    } catch {
      /* best effort */
    }
  }
  for (const dir of createdDirs.reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      /* not empty: something else lives there */
    }
  }
}
