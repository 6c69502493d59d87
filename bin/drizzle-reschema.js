#!/usr/bin/env node
'use strict';
require('../dist/compileCache.js').enableCompileCache();
require('../dist/cli.js').run(process.argv.slice(2));
