#!/usr/bin/env node
'use strict';
require('../dist/processMode.js').markOneShotProcess(process.argv.slice(2));
require('../dist/cli.js').run(process.argv.slice(2));
