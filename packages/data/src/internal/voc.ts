import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BoxXyxy } from '@optik/core';
import { OptikError } from '@optik/core';
import { resolveInside } from './paths.js';
import { BoxChecker, type DatasetRecord, type FileDataset } from './records.js';
import { child, parseXml, type XmlElement } from './xml.js';

function numberAt(element: XmlElement | undefined, name: string, file: string, parent: XmlElement): number {
  const node = element === undefined ? undefined : child(element, name);
  const value = node === undefined ? Number.NaN : Number(node.text.trim());
  if (!Number.isFinite(value)) {
    throw new OptikError('DATA_FORMAT', `<${name}> must hold a number.`, {
      file: `${file}:${node?.line ?? element?.line ?? parent.line}`,
      received: node?.text.trim(),
    });
  }
  return value;
}

/**
 * Reads a Pascal VOC tree: `Annotations/*.xml` and the images they name in `JPEGImages/`. VOC coordinates are
 * 1-based pixel indices; boxes become continuous xyxy as `[xmin − 1, ymin − 1, xmax, ymax]` (Detectron2's
 * convention). `difficult` flags are kept per box. With `classNames` given, another name is `DATA_UNKNOWN_CLASS`
 * naming `file:line`; otherwise the names found, sorted, are the classes.
 */
export function readVoc(
  directory: string,
  options: { annotationsDir?: string; imagesDir?: string; classNames?: readonly string[]; strict?: boolean } = {},
): FileDataset {
  const root = resolve(directory);
  const annotationsDir = resolve(root, options.annotationsDir ?? 'Annotations');
  const imagesDir = resolve(root, options.imagesDir ?? 'JPEGImages');
  let names: string[];
  try {
    names = readdirSync(annotationsDir)
      .filter((n) => n.toLowerCase().endsWith('.xml'))
      .sort();
  } catch (cause) {
    throw new OptikError(
      'DATA_NOT_FOUND',
      'The VOC Annotations folder does not exist.',
      { file: annotationsDir },
      { cause },
    );
  }
  if (names.length === 0)
    throw new OptikError('DATA_NOT_FOUND', 'No .xml annotations found.', { file: annotationsDir });
  const checker = new BoxChecker(options.strict ?? false);
  type Parsed = {
    file: string;
    width: number;
    height: number;
    objects: { name: string; line: number; box: BoxXyxy; difficult: boolean }[];
  };
  const parsed: Parsed[] = [];
  for (const name of names) {
    const file = join(annotationsDir, name);
    const doc = parseXml(readFileSync(file, 'utf8'), file);
    if (doc.name !== 'annotation') {
      throw new OptikError('DATA_FORMAT', `Expected <annotation> as the root element, found <${doc.name}>.`, {
        file: `${file}:${doc.line}`,
      });
    }
    const filenameNode = child(doc, 'filename');
    const filename = filenameNode?.text.trim() ?? '';
    if (filenameNode === undefined || filename === '') {
      throw new OptikError('DATA_FORMAT', 'Missing <filename>.', { file: `${file}:${doc.line}` });
    }
    const size = child(doc, 'size');
    const width = numberAt(size, 'width', file, doc);
    const height = numberAt(size, 'height', file, doc);
    const image = resolveInside(imagesDir, filename, `${file}:${filenameNode.line}`);
    const objects: Parsed['objects'] = [];
    for (const object of doc.children.filter((c) => c.name === 'object')) {
      const nameNode = child(object, 'name');
      const className = nameNode?.text.trim() ?? '';
      if (className === '')
        throw new OptikError('DATA_FORMAT', 'An <object> has no <name>.', { file: `${file}:${object.line}` });
      const bndbox = child(object, 'bndbox');
      if (bndbox === undefined)
        throw new OptikError('DATA_FORMAT', 'An <object> has no <bndbox>.', { file: `${file}:${object.line}` });
      const raw: BoxXyxy = [
        numberAt(bndbox, 'xmin', file, object) - 1,
        numberAt(bndbox, 'ymin', file, object) - 1,
        numberAt(bndbox, 'xmax', file, object),
        numberAt(bndbox, 'ymax', file, object),
      ];
      const box = checker.check(raw, width, height, `${file}:${bndbox.line}`);
      if (box === undefined) continue;
      const difficult = (child(object, 'difficult')?.text.trim() ?? '0') === '1';
      objects.push({ name: className, line: nameNode?.line ?? object.line, box, difficult });
    }
    parsed.push({ file: image, width, height, objects });
  }
  const classNames = options.classNames ?? [...new Set(parsed.flatMap((p) => p.objects.map((o) => o.name)))].sort();
  const index = new Map(classNames.map((n, i) => [n, i]));
  const records: DatasetRecord[] = parsed.map((p, k) => ({
    file: p.file,
    width: p.width,
    height: p.height,
    boxes: p.objects.map((o) => o.box),
    labels: p.objects.map((o) => {
      const id = index.get(o.name);
      if (id === undefined) {
        throw new OptikError('DATA_UNKNOWN_CLASS', `Unknown class "${o.name}".`, {
          file: `${join(annotationsDir, names[k] as string)}:${o.line}`,
          received: o.name,
          hint: `Known classes: ${classNames.join(', ')}.`,
        });
      }
      return id;
    }),
    difficult: p.objects.map((o) => o.difficult),
  }));
  return {
    format: 'voc',
    root,
    task: 'detection',
    classNames,
    records,
    issues: { clippedBoxes: checker.clipped, skipped: [], droppedBoxes: checker.dropped },
  };
}
