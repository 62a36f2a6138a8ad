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
 * try { loadConfig(path); } catch (e) { if (isOptikError(e, 'CONFIG_INVALID')) process.exitCode = 1; }
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
 * Turns a zod error into one readable, coded {@link OptikError}: one sentence per issue, each naming its key path
 * and the value received. Unknown keys get `CONFIG_UNKNOWN_KEY` so a typo is told apart from a bad value.
 *
 * @example
 * ```ts
 * const parsed = Schema.safeParse(input);
 * if (!parsed.success) throw fromZodError(parsed.error, { input, what: 'model config', prefix: 'model' });
 * ```
 */
export function fromZodError(
  error: z.ZodError,
  options: { input?: unknown; what?: string; prefix?: string; file?: string } = {},
): OptikError {
  const what = options.what ?? 'configuration';
  const lines: string[] = [];
  let unknownKey = false;
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      unknownKey = true;
      const keys = issue.keys.map((k) => formatPath([...path, k], options.prefix ?? ''));
      lines.push(
        `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')} (check the spelling; see the docs for the allowed keys)`,
      );
      continue;
    }
    const at = formatPath(path, options.prefix ?? '');
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
  if (!result.success) throw fromZodError(result.error, { ...options, input });
  return result.data;
}
