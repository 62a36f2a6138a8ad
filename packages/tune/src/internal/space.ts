import { describeValue, formatPath, fromZodError, OptikError } from '@optik/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { distributionProblem } from './distributions.js';
import type { Distribution, ParamValue } from './types.js';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A condition on an earlier parameter: all the given operators must hold. */
const ConditionSchema = z
  .strictObject({
    param: z.string().min(1),
    eq: Scalar.optional(),
    in: z.array(Scalar).min(1).optional(),
    gte: z.number().optional(),
    lte: z.number().optional(),
  })
  .refine((c) => c.eq !== undefined || c.in !== undefined || c.gte !== undefined || c.lte !== undefined, {
    message: 'a condition needs at least one of eq, in, gte, lte',
  });

const body = {
  categorical: {
    type: z.literal('categorical'),
    choices: z.array(Scalar).min(1),
    when: ConditionSchema.optional(),
  },
  int: {
    type: z.literal('int'),
    low: z.number().int(),
    high: z.number().int(),
    step: z.number().int().positive().default(1),
    log: z.boolean().default(false),
    grid: z.array(z.number().int()).min(1).optional(),
    when: ConditionSchema.optional(),
  },
  float: {
    type: z.literal('float'),
    low: z.number(),
    high: z.number(),
    step: z.number().positive().optional(),
    log: z.boolean().default(false),
    grid: z.array(z.number()).min(1).optional(),
    when: ConditionSchema.optional(),
  },
};

type SpecShape = { type: string; choices?: readonly ParamValue[]; grid?: readonly number[] | undefined };

function checkSpec(spec: SpecShape & Record<string, unknown>, ctx: z.RefinementCtx): void {
  const problem = distributionProblem(toDistribution(spec as ParamSpec));
  if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
  if (spec.grid !== undefined && spec.type !== 'categorical') {
    const { low, high } = spec as unknown as { low: number; high: number };
    spec.grid.forEach((v, i) => {
      if (v < low || v > high) {
        ctx.addIssue({ code: 'custom', path: ['grid', i], message: `grid value ${v} is outside [${low}, ${high}]` });
      }
    });
  }
}

const name = z.string().min(1);
const NamedSpecSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ name, ...body.categorical }),
    z.strictObject({ name, ...body.int }),
    z.strictObject({ name, ...body.float }),
  ])
  .superRefine(checkSpec);
const UnnamedSpecSchema = z
  .discriminatedUnion('type', [z.strictObject(body.categorical), z.strictObject(body.int), z.strictObject(body.float)])
  .superRefine(checkSpec);

const ListSchema = z.array(NamedSpecSchema).min(1, 'a search space needs at least one parameter');
const MapSchema = z.record(z.string().min(1), UnnamedSpecSchema);

/** One parameter of a search space, defaults filled in (the output of the schema). */
export type ParamSpec = z.output<typeof NamedSpecSchema>;
/** A condition (`when`) on an earlier parameter. */
export type ParamCondition = z.output<typeof ConditionSchema>;
/**
 * A search space as written in YAML/JSON: a list of `{ name, type, … }`, or a map from name to `{ type, … }`.
 */
export type SearchSpaceInput = z.input<typeof ListSchema> | z.input<typeof MapSchema>;

/** The distribution of a parameter spec (its name, condition and explicit grid stripped). */
export function toDistribution(spec: ParamSpec): Distribution {
  if (spec.type === 'categorical') return { type: 'categorical', choices: [...spec.choices] };
  if (spec.type === 'int') return { type: 'int', low: spec.low, high: spec.high, step: spec.step, log: spec.log };
  return spec.step === undefined
    ? { type: 'float', low: spec.low, high: spec.high, log: spec.log }
    : { type: 'float', low: spec.low, high: spec.high, step: spec.step, log: spec.log };
}

/** True when a parameter's condition holds for the values drawn so far (always true without one). */
export function conditionHolds(
  when: ParamCondition | undefined,
  params: Readonly<Record<string, ParamValue>>,
): boolean {
  if (when === undefined) return true;
  const value = params[when.param];
  if (value === undefined) return false;
  if (when.eq !== undefined && value !== when.eq) return false;
  if (when.in !== undefined && !when.in.includes(value)) return false;
  if (when.gte !== undefined && !(typeof value === 'number' && value >= when.gte)) return false;
  if (when.lte !== undefined && !(typeof value === 'number' && value <= when.lte)) return false;
  return true;
}

/** Options to parse a search space: a key-path prefix and a file for error messages. */
export interface SearchSpaceParseOptions {
  /** Where the space sits in a larger config, e.g. `tune.space`: error paths start with it. */
  readonly prefix?: string;
  /** The file it came from, named in errors. */
  readonly file?: string;
}

/**
 * A validated search space: an ordered list of parameters, each `categorical`, `int` or `float` (with `log`,
 * `step` and an explicit `grid` for the grid sampler), optionally conditional on an earlier parameter through
 * `when: { param, eq | in | gte | lte }`.
 */
export class SearchSpace {
  /** The parameters in order; a condition only refers to an earlier one. */
  readonly params: readonly ParamSpec[];

  constructor(input: SearchSpaceInput, options: SearchSpaceParseOptions = {}) {
    const what = 'search space';
    const errorOptions = {
      what,
      input,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.file === undefined ? {} : { file: options.file }),
    };
    let params: ParamSpec[];
    let pathOf: (index: number) => PropertyKey[];
    if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
      const parsed = MapSchema.safeParse(input);
      if (!parsed.success) throw fromZodError(parsed.error, errorOptions);
      const names = Object.keys(parsed.data);
      if (names.length === 0) {
        throw new OptikError('CONFIG_INVALID', 'Invalid search space: it needs at least one parameter.', {
          path: options.prefix ?? '(root)',
          ...(options.file === undefined ? {} : { file: options.file }),
        });
      }
      params = names.map((n) => ({ name: n, ...parsed.data[n] }) as ParamSpec);
      pathOf = (i) => [names[i] as string];
    } else {
      const parsed = ListSchema.safeParse(input);
      if (!parsed.success) throw fromZodError(parsed.error, errorOptions);
      params = parsed.data;
      pathOf = (i) => [i];
    }
    checkCrossReferences(params, pathOf, options);
    this.params = Object.freeze(params.map((p) => Object.freeze(structuredClone(p))));
  }

  /**
   * Parses a search space from YAML or JSON text (JSON is valid YAML). A syntax error is `CONFIG_PARSE`.
   */
  static fromYaml(text: string, options: SearchSpaceParseOptions = {}): SearchSpace {
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (error) {
      throw new OptikError(
        'CONFIG_PARSE',
        `Could not parse the search space: ${(error as Error).message}`,
        options.file === undefined ? {} : { file: options.file },
        { cause: error },
      );
    }
    return new SearchSpace(data as SearchSpaceInput, options);
  }

  /** Rebuilds a space from {@link SearchSpace.toConfig}. */
  static fromConfig(config: SearchSpaceInput): SearchSpace {
    return new SearchSpace(config);
  }

  /** The list form with defaults filled in; `fromConfig(toConfig())` gives an equal space. */
  toConfig(): ParamSpec[] {
    return this.params.map((p) => structuredClone(p) as ParamSpec);
  }

  /** The parameter called `name`, if any. */
  get(paramName: string): ParamSpec | undefined {
    return this.params.find((p) => p.name === paramName);
  }
}

function checkCrossReferences(
  params: readonly ParamSpec[],
  pathOf: (index: number) => PropertyKey[],
  options: SearchSpaceParseOptions,
): void {
  const fail = (index: number, keys: PropertyKey[], message: string, received: unknown): never => {
    const path = formatPath([...pathOf(index), ...keys], options.prefix ?? '');
    throw new OptikError(
      'CONFIG_INVALID',
      `Invalid search space: ${path}: ${message}. Received: ${describeValue(received)}.`,
      { path, ...(options.file === undefined ? {} : { file: options.file }) },
    );
  };
  const seen = new Map<string, ParamSpec>();
  params.forEach((p, i) => {
    if (seen.has(p.name)) fail(i, ['name'], `duplicate parameter name "${p.name}"`, p.name);
    if (p.when !== undefined) {
      const target = seen.get(p.when.param);
      if (target === undefined) {
        fail(i, ['when', 'param'], 'a condition must refer to a parameter defined before this one', p.when.param);
      } else if ((p.when.gte !== undefined || p.when.lte !== undefined) && target.type === 'categorical') {
        fail(i, ['when'], `gte/lte need a numeric parameter, but "${target.name}" is categorical`, p.when);
      }
    }
    seen.set(p.name, p);
  });
}
