import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BoxXyxy } from '@optik/core';
import { OptikError } from '@optik/core';
import { at, resolveInside } from './paths.js';
import { BoxChecker, type DatasetRecord, type FileDataset } from './records.js';

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

const BOX_HEADER = ['path', 'label', 'xmin', 'ymin', 'xmax', 'ymax'];

function classIndex(label: string, index: Map<string, number>, options: { classNames?: readonly string[] }) {
  const id = index.get(label);
  if (id !== undefined) return id;
  if (options.classNames !== undefined && /^\d+$/.test(label) && Number(label) < options.classNames.length) {
    return Number(label);
  }
  return undefined;
}

function unknownClass(label: string, classNames: readonly string[], where: string): OptikError {
  return new OptikError('DATA_UNKNOWN_CLASS', `Unknown class "${label}".`, {
    file: where,
    received: label,
    hint: `Known classes: ${classNames.join(', ')}.`,
  });
}

/**
 * Reads a CSV manifest, in one of two layouts told apart by the first row:
 * - `path,label` (header optional): one class per image, a classification source;
 * - `path,label,xmin,ymin,xmax,ymax` (this header required): one box per row in absolute pixels (xyxy, continuous
 *   coordinates), a detection source; an image with several objects has several rows, and a row with the label and
 *   all four coordinates empty lists an image without objects. Feed it to `toLocalization` for one box per image.
 *   Boxes partly outside their image are clipped when decoded (the CSV states no image size).
 *
 * Paths are relative to `root` (default: the CSV's folder) and may not escape it. Labels are class names; with
 * `classNames` given, a label must be one of them (or its integer index), else `DATA_UNKNOWN_CLASS` naming
 * `file:line`.
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
  const header = rows[0]?.fields.map((f) => f.trim().toLowerCase());
  if (header !== undefined && header.length === BOX_HEADER.length && header.every((f, i) => f === BOX_HEADER[i])) {
    rows.shift();
    return readBoxRows(rows, file, root, options);
  }
  if (header !== undefined && header[0] === 'path' && header[1] === 'label') {
    if (header.length !== 2) {
      throw new OptikError('DATA_FORMAT', `Unknown CSV header "${rows[0]?.fields.join(',')}".`, {
        file: at(file, rows[0]?.line),
        hint: `Use "path,label" for classification or "${BOX_HEADER.join(',')}" for boxes.`,
      });
    }
    rows.shift();
  }
  const parsed: { line: number; path: string; label: string }[] = [];
  for (const { line, fields } of rows) {
    if (fields.length !== 2) {
      throw new OptikError('DATA_FORMAT', `Expected 2 fields (path,label), found ${fields.length}.`, {
        file: at(file, line),
        received: fields,
        hint: `For boxes, start the file with the header ${BOX_HEADER.join(',')}.`,
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
    const id = classIndex(label, index, options);
    if (id === undefined) throw unknownClass(label, classNames, at(file, line));
    return { file: resolveInside(root, path, at(file, line)), label: id };
  });
  if (records.length === 0) throw new OptikError('DATA_NOT_FOUND', 'The CSV manifest lists no images.', { file });
  return { format: 'csv', root, task: 'classification', classNames, records, issues: { clippedBoxes: 0, skipped: [] } };
}

function readBoxRows(
  rows: { line: number; fields: string[] }[],
  file: string,
  root: string,
  options: { classNames?: readonly string[] },
): FileDataset {
  const checker = new BoxChecker(false);
  const parsed: { line: number; path: string; label: string; box: BoxXyxy | undefined }[] = [];
  for (const { line, fields } of rows) {
    const where = at(file, line);
    if (fields.length !== BOX_HEADER.length) {
      throw new OptikError(
        'DATA_FORMAT',
        `Expected ${BOX_HEADER.length} fields (${BOX_HEADER.join(',')}), found ${fields.length}.`,
        {
          file: where,
          received: fields,
        },
      );
    }
    const [path = '', label = '', ...coords] = fields.map((f) => f.trim());
    if (path === '') throw new OptikError('DATA_FORMAT', 'Empty path.', { file: where, received: fields });
    if (label === '' && coords.every((c) => c === '')) {
      parsed.push({ line, path, label, box: undefined });
      continue;
    }
    if (label === '') {
      throw new OptikError('DATA_FORMAT', 'A box without a label.', {
        file: where,
        received: fields,
        hint: 'Give the class name, or leave the label and all four coordinates empty for an image without objects.',
      });
    }
    const values = coords.map((c) => (c === '' ? Number.NaN : Number(c)));
    if (!values.every(Number.isFinite)) {
      throw new OptikError('DATA_FORMAT', 'xmin, ymin, xmax and ymax must be numbers (absolute pixels).', {
        file: where,
        received: coords,
      });
    }
    const box = checker.check(values as unknown as BoxXyxy, undefined, undefined, where);
    parsed.push({ line, path, label, box });
  }
  const classNames =
    options.classNames ?? [...new Set(parsed.filter((r) => r.box !== undefined).map((r) => r.label))].sort();
  const index = new Map(classNames.map((name, i) => [name, i]));
  const byPath = new Map<string, { file: string; boxes: BoxXyxy[]; labels: number[] }>();
  for (const { line, path, label, box } of parsed) {
    const where = at(file, line);
    const image = resolveInside(root, path, where);
    let entry = byPath.get(image);
    if (entry === undefined) {
      entry = { file: image, boxes: [], labels: [] };
      byPath.set(image, entry);
    }
    if (box === undefined) continue;
    const id = classIndex(label, index, options);
    if (id === undefined) throw unknownClass(label, classNames, where);
    entry.boxes.push(box);
    entry.labels.push(id);
  }
  if (byPath.size === 0) throw new OptikError('DATA_NOT_FOUND', 'The CSV manifest lists no images.', { file });
  return {
    format: 'csv',
    root,
    task: 'detection',
    classNames,
    records: [...byPath.values()],
    issues: { clippedBoxes: 0, skipped: [], droppedBoxes: checker.dropped },
  };
}
