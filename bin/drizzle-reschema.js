#!/usr/bin/env node
'use strict';
// Node >= 22.1 keeps the code V8 compiles for the modules a run loads (TypeScript's compiler, prettier,
// drizzle-kit's bundle) in the temp folder, for this process and, through NODE_COMPILE_CACHE, for
// drizzle-kit's. Node 20 has no such cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const cache = require('node:module').enableCompileCache?.();
if (cache?.directory) process.env.NODE_COMPILE_CACHE ??= cache.directory;
// PGlite is Postgres compiled to WebAssembly. V8 runs each function first as its baseline compiler
// made it and recompiles the hot ones with its optimising compiler, which pays back over minutes,
// not over one command's seconds: a verified move spent a third of its CPU on that recompiling.
// A larger budget keeps the baseline code until a function has run far longer (a run with 20x the
// default rows still tiers up). Set before any WebAssembly is compiled.
require('node:v8').setFlagsFromString('--wasm-tiering-budget=1000000000');
require('../dist/cli.js').run(process.argv.slice(2));
