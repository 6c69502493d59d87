import { appendFileSync } from 'node:fs';

/**
 * GitHub Actions shows the file named by GITHUB_STEP_SUMMARY on the run's
 * page. Other steps write to it too, so the report is appended, never
 * written over. Returns the path written to, if any.
 */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return undefined;
  appendFileSync(path, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`);
  return path;
}
