/**
 * Removes passwords from anything that may be printed or logged. Connection strings reach
 * error messages through drivers, so every message that leaves the library passes through here.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s]*)(@)/gi;
const KEY_VALUE_PASSWORD = /\b(password|passwd|pwd)=([^\s&;]+)/gi;

export function redact(text: string): string {
  return text.replace(URL_PASSWORD, '$1***$3').replace(KEY_VALUE_PASSWORD, '$1=***');
}

/** A connection URL with its password replaced by `***`, safe to print. */
export function redactUrl(url: string): string {
  return redact(url);
}
