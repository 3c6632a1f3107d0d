/**
 * Globs over `/`-separated paths, for local files and S3 keys alike: `*` and `?` within one
 * segment, `**` for any number of segments (zero included), `[abc]`/`[!abc]` character classes
 * and `{a,b}` alternatives. As in a shell, `*` and `?` do not match a leading `.` of a segment,
 * so hidden files (`.DS_Store`) and markers such as `.crc` files stay out unless named.
 */

const WILDCARD = /[*?[{]/;

/** True when `pattern` contains a wildcard. */
export function hasWildcard(pattern: string): boolean {
  return WILDCARD.test(pattern);
}

/** The leading segments of `pattern` without wildcards, joined with `/` (may be empty). */
export function staticPrefix(pattern: string): string {
  const segments = pattern.split('/');
  const index = segments.findIndex((segment) => hasWildcard(segment));
  return (index < 0 ? segments : segments.slice(0, index)).join('/');
}

/** A matcher for whole paths; `pattern` and the paths use `/` between segments. */
export function globMatcher(pattern: string): (path: string) => boolean {
  const regex = new RegExp(`^${globSource(pattern)}$`, 'u');
  return (path) => regex.test(path);
}

function globSource(pattern: string): string {
  let out = '';
  let i = 0;
  // At a segment start `*`, `?` and classes must not match a `.`.
  const atSegmentStart = () => i === 0 || pattern[i - 1] === '/';
  while (i < pattern.length) {
    const char = pattern[i] ?? '';
    if (
      char === '*' &&
      pattern[i + 1] === '*' &&
      atSegmentStart() &&
      [undefined, '/'].includes(pattern[i + 2])
    ) {
      // `**/` matches zero or more whole segments; a trailing `**` matches everything below.
      const trailing = pattern[i + 2] === undefined;
      out += trailing ? '(?:[^/.][^/]*(?:/[^/.][^/]*)*)?' : '(?:[^/.][^/]*/)*';
      i += trailing ? 2 : 3;
      continue;
    }
    if (char === '*') {
      out += atSegmentStart() ? '(?:[^/.][^/]*)?' : '[^/]*';
    } else if (char === '?') {
      out += atSegmentStart() ? '[^/.]' : '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
      } else {
        const body = pattern.slice(i + 1, end);
        const negated = body.startsWith('!') || body.startsWith('^');
        const members = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&');
        out += negated ? `[^/${members}]` : `[${members}]`;
        i = end;
      }
    } else if (char === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) {
        out += '\\{';
      } else {
        const options = pattern.slice(i + 1, end).split(',');
        out += `(?:${options.map((option) => globSource(option)).join('|')})`;
        i = end;
      }
    } else {
      out += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
    i += 1;
  }
  return out;
}
