import { type Dirent, existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

/** Content types of the files the dashboard hands out; anything else is sent as a download. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.bmp', '.svg']);

/**
 * The file `segments` name inside `base`, or undefined: every segment is percent-decoded once and must be a plain
 * name (no `..`, `.`, empty part, slash, backslash or NUL, so neither `../` nor `%2e%2e%2f` nor `%252e` escapes),
 * and the real path (symlinks resolved) must still lie inside the real `base` and be a regular file.
 */
export function safeFile(base: string, encodedSegments: readonly string[]): string | undefined {
  if (encodedSegments.length === 0) return undefined;
  const names: string[] = [];
  for (const encoded of encodedSegments) {
    let name: string;
    try {
      name = decodeURIComponent(encoded);
    } catch {
      return undefined;
    }
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return undefined;
    names.push(name);
  }
  try {
    const realBase = realpathSync(base);
    const real = realpathSync(join(realBase, ...names));
    const rel = relative(realBase, real);
    if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`..${sep}`)) return undefined;
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Files under `dir` (relative paths, `/`-separated, sorted), at most `limit`, not following symlinked folders. */
export function listFiles(dir: string, limit = 500): string[] {
  const out: string[] = [];
  const walk = (folder: string, prefix: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (out.length >= limit) return;
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(join(folder, entry.name), rel);
      else if (entry.isFile()) out.push(rel);
    }
  };
  walk(dir, '');
  return out;
}

/** A JSON file's contents, or why it could not be read (missing, or not JSON). */
export function readJson(file: string): { value: unknown } | { problem: string } {
  if (!existsSync(file)) return { problem: 'missing' };
  try {
    return { value: JSON.parse(readFileSync(file, 'utf8')) as unknown };
  } catch (error) {
    return { problem: `not readable JSON (${(error as Error).message})` };
  }
}

export function contentType(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
