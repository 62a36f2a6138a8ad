import { OptikError } from '@optik/core';

/** One XML element: name, attributes, child elements, direct text, and the line it starts on. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
  readonly line: number;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string, file: string, line: number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    const value = ENTITIES[name];
    if (value === undefined)
      throw new OptikError('DATA_FORMAT', `Unknown XML entity &${name};.`, { file: `${file}:${line}` });
    return value;
  });
}

/**
 * A small XML parser for annotation files like Pascal VOC's: elements, attributes, text, comments, CDATA,
 * processing instructions and the five predefined entities. No DTDs or namespaces (VOC uses neither). Malformed
 * input is a `DATA_FORMAT` error naming `file:line`.
 */
export function parseXml(text: string, file: string): XmlElement {
  let pos = 0;
  let line = 1;
  const fail = (message: string): never => {
    throw new OptikError('DATA_FORMAT', `Malformed XML: ${message}.`, { file: `${file}:${line}` });
  };
  const advance = (to: number) => {
    for (let i = pos; i < to; i++) if (text.charCodeAt(i) === 10) line++;
    pos = to;
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = lt === -1 ? text.slice(pos) : text.slice(pos, lt);
    if (chunk.trim() !== '') {
      const top = stack[stack.length - 1];
      if (top === undefined) fail('text outside the root element');
      else top.text += decodeEntities(chunk, file, line);
    }
    if (lt === -1) {
      advance(text.length);
      break;
    }
    advance(lt);
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos);
      if (end === -1) fail('unterminated comment');
      advance(end + 3);
    } else if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos);
      if (end === -1) fail('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (top === undefined) fail('CDATA outside the root element');
      else top.text += text.slice(pos + 9, end);
      advance(end + 3);
    } else if (text.startsWith('<?', pos) || text.startsWith('<!', pos)) {
      const end = text.indexOf('>', pos);
      if (end === -1) fail('unterminated declaration');
      advance(end + 1);
    } else if (text.startsWith('</', pos)) {
      const end = text.indexOf('>', pos);
      if (end === -1) fail('unterminated closing tag');
      const name = text.slice(pos + 2, end).trim();
      const top = stack.pop();
      if (top === undefined || top.name !== name) fail(`</${name}> does not close <${top?.name ?? '(nothing)'}>`);
      advance(end + 1);
    } else {
      const match = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
        text.slice(pos, pos + 4096),
      );
      if (match === null) fail('invalid start tag');
      const [whole, name = '', attrText = '', selfClosing] = match as RegExpExecArray;
      const attributes: Record<string, string> = {};
      for (const a of attrText.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attributes[a[1] as string] = decodeEntities(a[2] ?? a[3] ?? '', file, line);
      }
      const element: XmlElement = { name, attributes, children: [], text: '', line };
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(element);
      else if (root !== undefined) fail('more than one root element');
      else root = element;
      if (selfClosing !== '/') stack.push(element);
      advance(pos + whole.length);
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]?.name}> is never closed`);
  if (root === undefined) fail('no root element');
  return root as XmlElement;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}
