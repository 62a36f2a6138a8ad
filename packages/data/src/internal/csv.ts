import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OptikError } from '@optik/core';
import { at, resolveInside } from './paths.js';
import type { DatasetRecord, FileDataset } from './records.js';

/** Splits one CSV text into rows of fields (RFC 4180 quoting), each with its 1-based line number. */
export function parseCsv(text: string, file: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      any = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      any = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (any || field !== '') {
        fields.push(field);
        rows.push({ line: rowLine, fields });
      }
      fields = [];
      field = '';
      any = false;
      line++;
      rowLine = line;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) throw new OptikError('DATA_FORMAT', 'Unterminated quoted field.', { file: at(file, rowLine) });
  if (any || field !== '') {
    fields.push(field);
    rows.push({ line: rowLine, fields });
  }
  return rows;
}

/**
 * Reads a `path,label` manifest. A first row `path,label` is a header. Paths are relative to `root` (default: the
 * CSV's folder) and may not escape it. Labels are class names; with `classNames` given, a label must be one of
 * them (or its integer index), else `DATA_UNKNOWN_CLASS` naming `file:line`.
 */
export function readCsvManifest(
  csvFile: string,
  options: { root?: string; classNames?: readonly string[] } = {},
): FileDataset {
  const file = resolve(csvFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new OptikError('DATA_NOT_FOUND', 'Cannot read the CSV manifest.', { file }, { cause });
  }
  const root = resolve(options.root ?? dirname(file));
  const rows = parseCsv(text, file);
  const first = rows[0];
  if (
    first !== undefined &&
    first.fields[0]?.trim().toLowerCase() === 'path' &&
    first.fields[1]?.trim().toLowerCase() === 'label'
  ) {
    rows.shift();
  }
  const parsed: { line: number; path: string; label: string }[] = [];
  for (const { line, fields } of rows) {
    if (fields.length !== 2) {
      throw new OptikError('DATA_FORMAT', `Expected 2 fields (path,label), found ${fields.length}.`, {
        file: at(file, line),
        received: fields,
      });
    }
    const [path = '', label = ''] = fields.map((f) => f.trim());
    if (path === '' || label === '') {
      throw new OptikError('DATA_FORMAT', 'Empty path or label.', { file: at(file, line), received: fields });
    }
    parsed.push({ line, path, label });
  }
  const classNames = options.classNames ?? [...new Set(parsed.map((r) => r.label))].sort();
  const index = new Map(classNames.map((name, i) => [name, i]));
  const records: DatasetRecord[] = parsed.map(({ line, path, label }) => {
    let id = index.get(label);
    if (
      id === undefined &&
      options.classNames !== undefined &&
      /^\d+$/.test(label) &&
      Number(label) < classNames.length
    ) {
      id = Number(label);
    }
    if (id === undefined) {
      throw new OptikError('DATA_UNKNOWN_CLASS', `Unknown class "${label}".`, {
        file: at(file, line),
        received: label,
        hint: `Known classes: ${classNames.join(', ')}.`,
      });
    }
    return { file: resolveInside(root, path, at(file, line)), label: id };
  });
  if (records.length === 0) throw new OptikError('DATA_NOT_FOUND', 'The CSV manifest lists no images.', { file });
  return { format: 'csv', root, task: 'classification', classNames, records, issues: { clippedBoxes: 0, skipped: [] } };
}
