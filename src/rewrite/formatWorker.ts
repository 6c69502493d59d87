/**
 * The worker thread of startFormatter (formatFiles.ts): prettier loads and
 * checks the likely files while the main thread plans, then formats the
 * rewrite it is sent, exactly as formatFiles would.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { PrettierSession, type FormatReply, type FormatRequest } from './formatFiles';

const port = parentPort!;
const session = new PrettierSession();

port.on('message', (request: FormatRequest) => {
  if (request.type === 'prefetch') {
    for (const path of request.paths) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      // Only a head start: a failure here is met again, and reported, when the file is formatted.
      session.beforeMove(path, text).catch(() => {});
    }
    return;
  }
  session.format(request.edits).then(
    (result) => port.postMessage({ type: 'formatted', result } satisfies FormatReply),
    (error: unknown) => port.postMessage({ type: 'failed', error } satisfies FormatReply),
  );
});
