#!/usr/bin/env node
'use strict';
// Node >= 22.1 keeps the code V8 compiles for the modules a run loads (TypeScript's compiler, prettier,
// drizzle-kit's bundle) in the temp folder, for this process and, through NODE_COMPILE_CACHE, for
// drizzle-kit's. Node 20 has no such cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const cache = require('node:module').enableCompileCache?.();
if (cache?.directory) process.env.NODE_COMPILE_CACHE ??= cache.directory;
require('../dist/cli.js').run(process.argv.slice(2));
