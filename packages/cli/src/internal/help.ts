import { OptikError } from '@optik/core';
import { z } from 'zod';

/** One flag of a command: its parser type, the placeholder of its value, and one line saying what it does. */
export interface Flag {
  readonly type: 'string' | 'boolean';
  /** Placeholder shown after the flag (`--top-k K`); none for boolean flags. */
  readonly value?: string;
  readonly description: string;
}

export type Flags = Readonly<Record<string, Flag>>;

/** The config a command reads: its schema and one line per key path. */
export interface ConfigHelp {
  /** The heading line of the key list. */
  readonly title: string;
  readonly schema: z.ZodType;
  /** Key path (`train.epochs`) → one line, used where the schema carries no description of its own. */
  readonly descriptions: Readonly<Record<string, string>>;
  /** Printed under the key list. */
  readonly note?: string;
}

/** What `optik help <verb>` and `optik <verb> --help` print. */
export interface CommandHelp {
  /** One line, also shown in `optik help`'s command list. */
  readonly summary: string;
  /** The usage lines; bad arguments print them too. */
  readonly usage: string;
  readonly flags: Flags;
  /** The config keys: one list, or one per variant (`optik train`: one per task, sharing one description table). */
  readonly config?: ConfigHelp | readonly ConfigHelp[];
}

function configSections(help: CommandHelp): readonly ConfigHelp[] {
  if (help.config === undefined) return [];
  return Array.isArray(help.config) ? help.config : [help.config as ConfigHelp];
}

/** The flags every command accepts (parsed by `main`). */
export const GLOBAL_FLAGS: Flags = {
  json: { type: 'boolean', description: 'print one JSON object as the last line of stdout (progress goes to stderr)' },
  backend: {
    type: 'string',
    value: 'NAME',
    description: 'tensorflow-gpu | tensorflow | wasm | cpu (default: best available; env OPTIK_BACKEND)',
  },
  debug: { type: 'boolean', description: 'print stack traces on errors' },
  help: { type: 'boolean', description: 'this help' },
};

/** The `parseArgs` options of a command's flags, so that one declaration drives both the parser and the help. */
export function parserOptions<F extends Flags>(flags: F): { [K in keyof F]: { type: F[K]['type'] } } {
  return Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, { type: flag.type }])) as {
    [K in keyof F]: { type: F[K]['type'] };
  };
}

/** One config key as the help lists it. */
export interface ConfigKey {
  readonly key: string;
  readonly type: string;
  readonly default: string | null;
  readonly description: string | null;
  /** For a key chosen by `type` (optimizer, schedule, layers): each variant with its keys and defaults. */
  readonly variants: readonly string[];
}

/** A JSON Schema node, as zod's `toJSONSchema` writes it (the parts the help reads). */
interface Node {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, Node>;
  additionalProperties?: unknown;
  required?: string[];
  items?: Node;
  prefixItems?: Node[];
  oneOf?: Node[];
  anyOf?: Node[];
}

/** Larger bounds than these are zod's "any safe integer" / "any seed", not a limit worth printing. */
const NO_LIMIT = 2 ** 32 - 1;

function flow(value: unknown): string {
  if (typeof value === 'string') return value === '' ? "''" : value;
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    if (Object.keys(value).length === 0) return '{}';
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(', ')} }`;
  }
  return String(value);
}

function range(node: Node): string {
  const low =
    node.exclusiveMinimum !== undefined
      ? ['(', node.exclusiveMinimum]
      : node.minimum !== undefined
        ? ['[', node.minimum]
        : null;
  const high =
    node.exclusiveMaximum !== undefined
      ? [')', node.exclusiveMaximum]
      : node.maximum !== undefined && node.maximum < NO_LIMIT
        ? [']', node.maximum]
        : null;
  if (low !== null && high !== null) return ` in ${low[0]}${low[1]}, ${high[1]}${high[0]}`;
  if (low !== null) return ` ${low[0] === '(' ? '>' : '≥'} ${low[1]}`;
  if (high !== null) return ` ${high[0] === ')' ? '<' : '≤'} ${high[1]}`;
  return '';
}

/** The variants of a key chosen by its `type` (a oneOf of objects with a `type` constant), or null. */
function variantsOf(node: Node): Node[] | null {
  const options = node.oneOf ?? node.anyOf;
  if (options === undefined || options.length === 0) return null;
  return options.every((o) => o.properties?.type?.const !== undefined) ? options : null;
}

function typeText(node: Node): string {
  if (node.const !== undefined) return flow(node.const);
  if (node.enum !== undefined) return node.enum.map(flow).join(' | ');
  const variants = variantsOf(node);
  if (variants !== null) return `type: ${variants.map((v) => flow(v.properties?.type?.const)).join(' | ')}`;
  const options = node.anyOf ?? node.oneOf;
  if (options !== undefined) return options.map(typeText).join(', or ');
  switch (node.type) {
    case 'integer':
    case 'number':
      return `${node.type === 'integer' ? 'integer' : 'number'}${range(node)}`;
    case 'string':
      return 'text';
    case 'boolean':
      return 'true | false';
    case 'array':
      if (node.prefixItems !== undefined) return `[${node.prefixItems.map(typeText).join(', ')}]`;
      return node.items === undefined || Object.keys(node.items).length === 0
        ? 'list'
        : `list of ${typeText(node.items)}`;
    case 'object':
      return 'mapping';
    default:
      return 'any';
  }
}

/** A variant as a line to copy into YAML: `{ type: adam, learningRate: 0.001, … }`, `<type>` where required. */
function variantLine(variant: Node): string {
  const required = new Set(variant.required ?? []);
  const parts = Object.entries(variant.properties ?? {}).map(([key, prop]) => {
    if (key === 'type') return `type: ${flow(prop.const)}`;
    if (prop.default !== undefined) return `${key}: ${flow(prop.default)}`;
    return `${key}: <${typeText(prop)}${required.has(key) ? '' : ', optional'}>`;
  });
  return `{ ${parts.join(', ')} }`;
}

/**
 * Every key of a config schema, flattened to paths (`train.optimizer`), with its type, default and description.
 * The descriptions come from the schema (`.describe()` / `.meta()`) where it has them, else from `descriptions`.
 */
export function configKeys(config: ConfigHelp): ConfigKey[] {
  const root = z.toJSONSchema(config.schema, { io: 'input', unrepresentable: 'any' }) as Node;
  const keys: ConfigKey[] = [];
  const walk = (node: Node, path: string) => {
    if (node.type === 'object' && node.properties !== undefined && Object.keys(node.properties).length > 0) {
      // A section (data, train.gradientClip, …): a line of its own only where it is described.
      const description = node.description ?? config.descriptions[path];
      if (path !== '' && description !== undefined) {
        keys.push({ key: path, type: 'section', default: null, description, variants: [] });
      }
      for (const [key, child] of Object.entries(node.properties)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    const variants = variantsOf(node) ?? (node.items === undefined ? null : variantsOf(node.items));
    keys.push({
      key: path,
      type: node.type === 'array' && variants !== null ? `list of { type: … }` : typeText(node),
      default: node.default === undefined ? null : flow(node.default),
      description: node.description ?? config.descriptions[path] ?? null,
      variants: variants === null ? [] : variants.map(variantLine),
    });
  };
  walk(root, '');
  return keys;
}

/** The keys of every section, refusing descriptions of keys that no section's schema has (a stale help). */
function sectionKeys(sections: readonly ConfigHelp[]): ConfigKey[][] {
  const lists = sections.map(configKeys);
  const known = new Set(lists.flat().map((k) => k.key));
  const described = new Set(sections.flatMap((section) => Object.keys(section.descriptions)));
  const stale = [...described].filter((key) => !known.has(key));
  if (stale.length > 0) {
    throw new OptikError('INTERNAL', `The help describes config keys the schema does not have: ${stale.join(', ')}.`, {
      hint: 'Update the descriptions next to the command to the schema.',
    });
  }
  return lists;
}

const WIDTH = 118;
const KEY_COLUMN = 30;

/** Wraps `text` to WIDTH, the first line after `lead`, the others indented by `indent` spaces. */
function wrap(lead: string, text: string, indent: number): string {
  const lines: string[] = [];
  let line = lead;
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > WIDTH && line.trim() !== '' && line.length > indent) {
      lines.push(line.trimEnd());
      line = ' '.repeat(indent);
    }
    line += line.endsWith(' ') || line === '' ? word : ` ${word}`;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

function flagLines(flags: Flags): string[] {
  const names = Object.entries(flags).map(([name, f]) => `--${name}${f.value === undefined ? '' : ` ${f.value}`}`);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return Object.values(flags).map((f, i) => wrap(`  ${(names[i] as string).padEnd(width)}`, f.description, width + 2));
}

/** The full help of one command: summary, usage, its flags, the global flags and (train, tune) the config keys. */
export function renderCommandHelp(verb: string, help: CommandHelp): string {
  const parts = [`optik ${verb}: ${help.summary}`, '', help.usage];
  if (Object.keys(help.flags).length > 0) parts.push('', 'flags:', ...flagLines(help.flags));
  parts.push('', 'global flags:', ...flagLines(GLOBAL_FLAGS));
  const sections = configSections(help);
  const lists = sectionKeys(sections);
  sections.forEach((section, i) => {
    const keys = lists[i] as ConfigKey[];
    // Long keys (callbacks.reduceLrOnPlateau.minLearningRate) put their description on the next line rather than
    // pushing every description far right.
    const width = Math.min(KEY_COLUMN, Math.max(...keys.map((k) => k.key.length)) + 2);
    parts.push('', section.title);
    for (const k of keys) {
      const facts = [k.type, ...(k.default === null ? [] : [`default ${k.default}`])].join('; ');
      const text = `${k.description ?? ''} [${facts}]`.trim();
      if (k.key.length + 2 > width) parts.push(`  ${k.key}`, wrap(' '.repeat(width + 2), text, width + 2));
      else parts.push(wrap(`  ${k.key.padEnd(width)}`, text, width + 2));
      for (const v of k.variants) parts.push(wrap(' '.repeat(width + 4), v, width + 6));
    }
    if (section.note !== undefined) parts.push('', section.note);
  });
  return parts.join('\n');
}

/** The JSON form of a command's help (`optik help <verb> --json`). */
export function commandHelpJson(verb: string, help: CommandHelp): Record<string, unknown> {
  return {
    command: verb,
    summary: help.summary,
    usage: help.usage,
    flags: Object.entries(help.flags).map(([name, f]) => ({ flag: `--${name}`, ...f })),
    configKeys: sectionKeys(configSections(help)).flatMap((keys, i) =>
      keys.map((k) => ({ ...k, section: configSections(help)[i]?.title ?? '' })),
    ),
  };
}
