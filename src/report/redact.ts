/** The connection URL with its password replaced by `***`; unparsable URLs are hidden whole. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<database url>';
  }
}

/** `text` with the URL's password (raw and percent-decoded) replaced wherever it appears. */
export function redactSecrets(text: string, url: string | undefined): string {
  if (!url) return text;
  let password: string | undefined;
  try {
    password = new URL(url).password || undefined;
  } catch {
    return text.split(url).join('<database url>');
  }
  if (!password) return text;
  let out = text.split(url).join(redactUrl(url));
  for (const secret of new Set([password, safeDecode(password)])) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
