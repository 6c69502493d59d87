'use strict';
// drizzle-kit 1.0's process, as src/generate/kit10/sdkProcess.ts starts it: `node drizzle-kit-sdk.js
// <drizzle-kit>/cli.js`. It loads the project's drizzle-kit SDK (`drizzle-kit/cli`, the code of its
// `generate` command) as soon as it starts, which is most of a generate's time, while drizzle-reschema
// plans and rewrites; each `{ id, cwd, options }` message then runs `generate(options)` in `cwd` (the
// copy of the project) and is answered `{ id, answer }` or `{ id, error }`. It ends with its parent.
// Plain JavaScript beside the CLI's entry point, so that the same file runs from dist/ and from src/.
let sdk;
let loadError;
try {
  sdk = require(process.argv[2]);
} catch (error) {
  loadError = error;
}

process.on('message', async ({ id, cwd, options }) => {
  try {
    if (loadError) throw loadError;
    process.chdir(cwd);
    process.send({ id, answer: await sdk.generate(options) });
  } catch (error) {
    process.send({ id, error: String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
