import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { OptikError } from '@optik/core';

/**
 * An annotated `data.source` with its `path` made absolute, refused with `DATA_NOT_FOUND` when nothing is there;
 * `formats` names what the path should point at, for the message.
 */
export function resolveSourcePath<S extends { readonly path: string }>(
  source: S,
  meta: { file?: string },
  formats: string,
): S {
  const path = resolve(source.path);
  if (!existsSync(path)) {
    throw new OptikError('DATA_NOT_FOUND', `data.source.path: ${path} does not exist.`, {
      path: 'data.source.path',
      received: source.path,
      ...(meta.file === undefined ? {} : { file: meta.file }),
      hint: `Relative paths are read from the current directory; point it at the ${formats}.`,
    });
  }
  return { ...source, path };
}
