/** `postgres://user:secret@host/db` -> `postgres://user:***@host/db`; text that is not a URL is returned unchanged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/i, '$1:***@');
}

/** `text` with the URL redacted wherever it appears, and its password (as written and percent-decoded) too. */
export function redactSecrets(text: string, url: string | undefined): string {
  if (!url) return text;
  let out = text.split(url).join(redactUrl(url));
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:([^@/?#\s]*)@/i.exec(url)?.[1];
  if (!password) return out;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // keep it as written
  }
  for (const secret of new Set([password, decoded])) out = out.split(secret).join('***');
  return out;
}
