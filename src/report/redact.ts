/**
 * Keeps database passwords out of everything the tool prints. A connection
 * URL's password can come back in a driver's error message, a query text from
 * pg_stat_activity or a command line we suggest, so every output path of a
 * command that is given a URL runs through `redactText`.
 */

export const REDACTED = '***';

const URL_WITH_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/i;
const PASSWORD_PARAM = /([?&]password=)([^&#\s]*)/i;

/** The password a connection URL carries (in its userinfo or a `password=` parameter), as written. */
export function passwordsOf(url: string): string[] {
  const found: string[] = [];
  const userinfo = URL_WITH_USERINFO.exec(url)?.[2];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (userinfo !== undefined && colon >= 0) found.push(userinfo.slice(colon + 1));
  const param = PASSWORD_PARAM.exec(url)?.[2];
  if (param) found.push(param);
  return found.filter((p) => p.length > 0);
}

/** The URL without its password: `postgres://user@host:5432/db` (also drops a `password=` parameter). */
export function urlWithoutPassword(url: string): string {
  let out = url;
  const match = URL_WITH_USERINFO.exec(out);
  if (match) {
    const userinfo = match[2]!;
    const colon = userinfo.indexOf(':');
    if (colon >= 0) out = `${match[1]}${userinfo.slice(0, colon)}@${out.slice(match[0].length)}`;
  }
  return out.replace(/([?&])password=[^&#\s]*&?/i, '$1').replace(/[?&]$/, '');
}

/**
 * Removes passwords from any text: the password part of every URL in it, and
 * each of `secrets` wherever it appears, as written, decoded or encoded.
 */
export function redactText(text: string, secrets: string[] = []): string {
  let out = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:)[^\s@'"]*@/gi, `$1${REDACTED}@`)
    .replace(/([?&]password=)[^&#\s'"]*/gi, `$1${REDACTED}`);
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    try {
      forms.add(decodeURIComponent(secret));
    } catch {
      // Not percent-encoded.
    }
  }
  // Longest first, so that a form inside another is not left half-replaced.
  for (const form of [...forms].filter(Boolean).sort((a, b) => b.length - a.length)) out = out.split(form).join(REDACTED);
  return out;
}

/** A redactor for one URL: removes its password (and any other URL's) from text. */
export function redactorFor(url: string | undefined): (text: string) => string {
  const secrets = url ? passwordsOf(url) : [];
  return (text) => redactText(text, secrets);
}

/** The URL as it may be shown: its password replaced by `***`. */
export function redactUrl(url: string): string {
  return redactText(url, passwordsOf(url));
}

/** `text` without the URL's password, wherever and however it appears. */
export function redactSecrets(text: string, url: string | undefined): string {
  return redactorFor(url)(text);
}
