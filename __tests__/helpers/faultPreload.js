/**
 * Loaded with `node -r` into a spawned CLI by __tests__/faults.pipeline.test.ts
 * to inject a fault the pipeline's own checkpoints cannot: RESCHEMA_TEST_FAULT
 * names it. Only the fault is injected; everything else runs for real.
 *   kill-kit        drizzle-kit is killed (SIGKILL) while it runs
 *   sigint-in-kit   the CLI gets SIGINT while drizzle-kit runs
 *   sigint-in-write the CLI gets SIGINT as the write stage renames its first file
 *   enospc-write    the disk is full when the write stage stages its second file
 */
'use strict';
const childProcess = require('node:child_process');
const fs = require('node:fs');

const fault = process.env.RESCHEMA_TEST_FAULT;
// drizzle-kit's process: `node <drizzle-kit's bin> generate ...`.
const isKit = (args) => Array.isArray(args) && args.some((a) => typeof a === 'string' && /drizzle-kit/.test(a));

if (fault === 'kill-kit' || fault === 'sigint-in-kit') {
  const spawn = childProcess.spawn;
  childProcess.spawn = function patchedSpawn(command, args, options) {
    const child = spawn.call(this, command, args, options);
    if (isKit(args)) {
      // Once drizzle-kit has started (its first output, or 300 ms), the fault happens.
      let fired = false;
      const fire = () => {
        if (fired) return;
        fired = true;
        if (fault === 'kill-kit') child.kill('SIGKILL');
        else process.kill(process.pid, 'SIGINT');
      };
      child.stdout?.once('data', fire);
      setTimeout(fire, 300).unref();
    }
    return child;
  };
}

const isStaged = (path) => typeof path === 'string' && /\.reschema-\d+-[0-9a-f]+\.tmp$/.test(path);

if (fault === 'sigint-in-write') {
  const renameSync = fs.renameSync;
  let sent = false;
  fs.renameSync = function patchedRename(from, to) {
    if (!sent && isStaged(from)) {
      sent = true;
      process.kill(process.pid, 'SIGINT');
    }
    return renameSync.call(this, from, to);
  };
}

if (fault === 'enospc-write') {
  const writeFileSync = fs.writeFileSync;
  let staged = 0;
  fs.writeFileSync = function patchedWrite(path, ...rest) {
    if (isStaged(path) && ++staged === 2) {
      const error = new Error(`ENOSPC: no space left on device, write '${path}'`);
      Object.assign(error, { code: 'ENOSPC', errno: -28, syscall: 'write', path });
      throw error;
    }
    return writeFileSync.call(this, path, ...rest);
  };
}
