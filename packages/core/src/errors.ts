import type { z } from 'zod';

/**
 * Every error code Optik raises. A code is stable: tools and tests match on it, never on the message.
 * Packages add their codes here so that one union documents them all.
 */
export type OptikErrorCode =
  // configuration and arguments
  | 'CONFIG_INVALID'
  | 'CONFIG_UNKNOWN_KEY'
  | 'CONFIG_PARSE'
  /** A config or override key path through `__proto__`, `constructor` or `prototype` (prototype pollution). */
  | 'CONFIG_UNSAFE_KEY'
  | 'ARGUMENT_INVALID'
  // backends
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_UNKNOWN'
  | 'KERNEL_UNSUPPORTED'
  // data
  | 'DATA_NOT_FOUND'
  | 'DATA_CORRUPT'
  | 'DATA_FORMAT'
  | 'DATA_MISMATCH'
  | 'DATA_PATH_ESCAPE'
  /** A dataset path that is not a regular file (FIFO, device, socket, folder). */
  | 'DATA_NOT_A_FILE'
  /** A file above the size an image or manifest may have. */
  | 'DATA_TOO_LARGE'
  | 'DATA_UNKNOWN_CLASS'
  | 'DATA_DOWNLOAD'
  // models, training, runs
  | 'MODEL_INVALID'
  | 'TRAIN_FAILED'
  | 'RUN_NOT_FOUND'
  | 'STORE_ERROR'
  /** No run store where one was expected (a typo in --root). */
  | 'STORE_NOT_FOUND'
  /** The run store (database or folder) cannot be written. */
  | 'STORE_READONLY'
  /** The run store database is damaged or not a database. */
  | 'STORE_CORRUPT'
  /** A checkpoint or saved model (model.json, weights.bin, trainer.json, …) is truncated or damaged. */
  | 'CHECKPOINT_CORRUPT'
  /** The disk (or quota) is full: a write failed with ENOSPC, EDQUOT or SQLITE_FULL. */
  | 'DISK_FULL'
  | 'INTERNAL'
  // hyperparameter search (@optik/tune)
  | 'STUDY_NOT_FOUND'
  /** The study is being run by another live process (its owner lock is held). */
  | 'STUDY_BUSY'
  | 'TRIAL_PRUNED'
  | 'SEARCH_SPACE_EXHAUSTED';

/** Extra context an error carries: what was received, where in a config, which file. */
export interface OptikErrorDetails {
  /** Key path into a config, e.g. `model.layers[2].filters`. */
  readonly path?: string;
  /** The offending value, echoed as `Received: …`. */
  readonly received?: unknown;
  /** A file (and line) the problem was found in. */
  readonly file?: string;
  /** How to fix it, one sentence. */
  readonly hint?: string;
}

/**
 * The one error type of Optik: a stable string-literal `code`, a message that says what was wrong, what was
 * expected and how to fix it, and the underlying `cause` when there is one.
 *
 * @example
 * ```ts
 * throw new OptikError('CONFIG_INVALID', 'kernelSize must be a positive integer.', {
 *   path: 'model.layers[0].kernelSize',
 *   received: 0,
 *   hint: 'Use 3 for the course\'s 3×3 convolutions.',
 * });
 * ```
 */
export class OptikError extends Error {
  override readonly name = 'OptikError';
  readonly code: OptikErrorCode;
  readonly details: OptikErrorDetails;

  constructor(code: OptikErrorCode, message: string, details: OptikErrorDetails = {}, options?: { cause?: unknown }) {
    super(composeMessage(message, details), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = details;
  }

  /** A plain object for `--json` output and run records. */
  toJSON(): { code: OptikErrorCode; message: string; details: OptikErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * True when `value` is an {@link OptikError}, optionally of one code.
 *
 * @example
 * ```ts
 * try { parseOrThrow(schema, input, { what: 'config' }); } catch (e) { if (isOptikError(e, 'CONFIG_INVALID')) process.exitCode = 1; }
 * ```
 */
export function isOptikError(value: unknown, code?: OptikErrorCode): value is OptikError {
  return value instanceof OptikError && (code === undefined || value.code === code);
}

function composeMessage(message: string, details: OptikErrorDetails): string {
  const parts = [message.trim()];
  if (details.path !== undefined && !message.includes(details.path)) parts.unshift(`${details.path}:`);
  if (details.file !== undefined && !message.includes(details.file)) parts.push(`(in ${details.file})`);
  if ('received' in details) parts.push(`Received: ${describeValue(details.received)}.`);
  if (details.hint !== undefined) parts.push(details.hint.trim());
  return parts.join(' ');
}

/** Short, safe rendering of a received value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

/**
 * Renders a key path the way users write it in YAML: `model.layers[2].filters`.
 *
 * @example
 * ```ts
 * formatPath(['model', 'layers', 2, 'filters']); // 'model.layers[2].filters'
 * ```
 */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function getAt(input: unknown, path: ReadonlyArray<PropertyKey>): { found: boolean; value: unknown } {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !(key in (current as object))) {
      return { found: false, value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

/**
 * The candidate closest to `word`, when it is close enough to be what was meant: the same after ignoring case,
 * `_` and `-` (`batch_size` → `batchSize`), or at most two edits away (a letter missing, extra, changed, or two
 * swapped; one edit for words of up to four letters). `undefined` when nothing is that close, or when two
 * candidates are equally close.
 *
 * @example
 * ```ts
 * closestMatch('epoch', ['epochs', 'optimizer']); // 'epochs'
 * closestMatch('learning_rate', ['learningRate']); // 'learningRate'
 * closestMatch('colour', ['epochs']); // undefined
 * ```
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const normal = (text: string) => text.toLowerCase().replace(/[-_]/g, '');
  const limit = word.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let tie = false;
  for (const candidate of new Set(candidates)) {
    if (candidate === word) continue;
    const distance = normal(candidate) === normal(word) ? 0 : editDistance(word, candidate);
    if (distance > limit) continue;
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) tie = true;
  }
  return tie ? undefined : best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps each cost 1. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const up = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = d;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/** The parts of zod 4's schema definitions that lead to the keys of an object schema. */
interface SchemaNode {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly shape?: Readonly<Record<string, SchemaNode>>;
      readonly innerType?: SchemaNode;
      readonly in?: SchemaNode;
      readonly element?: SchemaNode;
      readonly items?: readonly SchemaNode[];
      readonly options?: readonly SchemaNode[];
      readonly left?: SchemaNode;
      readonly right?: SchemaNode;
      readonly valueType?: SchemaNode;
      readonly getter?: () => SchemaNode;
      readonly values?: readonly unknown[];
    };
  };
}

/** The concrete schemas behind wrappers (optional, default, pipe, union, …). */
function concrete(node: SchemaNode | undefined, depth = 0): SchemaNode[] {
  if (node === undefined || depth > 32) return [];
  const def = node._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return concrete(def.innerType, depth + 1);
    case 'pipe':
      return concrete(def.in, depth + 1);
    case 'lazy':
      return def.getter === undefined ? [] : concrete(def.getter(), depth + 1);
    case 'union':
      return (def.options ?? []).flatMap((option) => concrete(option, depth + 1));
    case 'intersection':
      return [...concrete(def.left, depth + 1), ...concrete(def.right, depth + 1)];
    default:
      return [node];
  }
}

/**
 * The keys the object schema at `path` accepts. Where a union offers several objects (model layers, optimizers),
 * the ones whose `type` literal matches the input's `type` are taken, else all of them.
 */
function keysAt(schema: SchemaNode, path: readonly PropertyKey[], input: unknown): string[] {
  let nodes = concrete(schema);
  for (const key of path) {
    nodes = nodes.flatMap((node) => {
      const def = node._zod.def;
      if (def.type === 'object' && typeof key === 'string') return concrete(def.shape?.[key]);
      if (def.type === 'array' && typeof key === 'number') return concrete(def.element);
      if (def.type === 'tuple' && typeof key === 'number') return concrete(def.items?.[key]);
      if (def.type === 'record') return concrete(def.valueType);
      return [];
    });
  }
  let objects = nodes.filter((node) => node._zod.def.type === 'object');
  const at = getAt(input, path);
  const type =
    at.found && at.value !== null && typeof at.value === 'object' ? (at.value as { type?: unknown }).type : undefined;
  const matching = objects.filter((node) => {
    const literal = concrete(node._zod.def.shape?.type).find((n) => n._zod.def.type === 'literal');
    return literal?._zod.def.values?.includes(type) === true;
  });
  if (matching.length > 0) objects = matching;
  return [...new Set(objects.flatMap((node) => Object.keys(node._zod.def.shape ?? {})))];
}

/**
 * Turns a zod error into one readable, coded {@link OptikError}: one sentence per issue, each naming its key path
 * and the value received. Unknown keys get `CONFIG_UNKNOWN_KEY` so a typo is told apart from a bad value; given
 * the `schema` that was parsed, each unknown key also gets a "did you mean" from the keys allowed at its place
 * (or the list of those keys when none is close).
 *
 * @example
 * ```ts
 * const parsed = Schema.safeParse(input);
 * if (!parsed.success) throw fromZodError(parsed.error, { input, schema: Schema, what: 'model config', prefix: 'model' });
 * ```
 */
export function fromZodError(
  error: z.ZodError,
  options: { input?: unknown; schema?: z.ZodType; what?: string; prefix?: string; file?: string } = {},
): OptikError {
  const what = options.what ?? 'configuration';
  const prefix = options.prefix ?? '';
  const lines: string[] = [];
  let unknownKey = false;
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      unknownKey = true;
      const allowed =
        options.schema === undefined
          ? []
          : keysAt(options.schema as unknown as SchemaNode, path, options.input).filter((k) => !issue.keys.includes(k));
      const guesses = issue.keys.map((k) => ({ key: k, guess: closestMatch(k, allowed) }));
      const keys = guesses.map(({ key, guess }) => {
        const at = formatPath([...path, key], prefix);
        return guess === undefined ? at : `${at} (did you mean ${formatPath([...path, guess], prefix)}?)`;
      });
      const rest = guesses.some(({ guess }) => guess === undefined)
        ? allowed.length > 0
          ? ` (allowed here: ${allowed.join(', ')})`
          : ' (check the spelling; see the docs for the allowed keys)'
        : '';
      lines.push(`unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}${rest}`);
      continue;
    }
    const at = formatPath(path, prefix);
    const received = options.input === undefined ? undefined : getAt(options.input, path);
    const receivedText = received?.found
      ? ` Received: ${at === '(root)' ? 'value' : at.split('.').pop()}=${describeValue(received.value)}.`
      : '';
    lines.push(`${at}: ${issue.message}.${receivedText}`);
  }
  const message = `Invalid ${what}: ${lines.join(' ')}`;
  const details: OptikErrorDetails = options.file === undefined ? {} : { file: options.file };
  return new OptikError(unknownKey ? 'CONFIG_UNKNOWN_KEY' : 'CONFIG_INVALID', message, details, { cause: error });
}

/**
 * Validates `input` against a zod schema and returns the parsed value, or throws a readable {@link OptikError}.
 *
 * @example
 * ```ts
 * const options = parseOrThrow(ConvSchema, { filters: 32, kernelSize: 3 }, { what: 'conv layer', prefix: 'model.layers[0]' });
 * ```
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: { what?: string; prefix?: string; file?: string } = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZodError(result.error, { ...options, input, schema });
  return result.data;
}
