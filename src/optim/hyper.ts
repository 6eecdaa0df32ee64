/**
 * Hyperparameters are validated against a declarative spec per rule: defaults filled in,
 * unknown names and out-of-range values refused with a message that names the field.
 */
export class HyperparameterError extends Error {
  override readonly name = "HyperparameterError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

interface Bounds {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive upper bound. */
  readonly below?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
}

export type FieldSpec =
  | ({ readonly kind: "number"; readonly default: number; readonly integer?: boolean } & Bounds)
  | { readonly kind: "boolean"; readonly default: boolean }
  | ({ readonly kind: "pair"; readonly default: readonly [number, number] } & Bounds)
  | { readonly kind: "choice"; readonly default: string; readonly choices: readonly string[] }
  | { readonly kind: "numbers"; readonly default: readonly number[]; readonly increasing?: boolean };

export type HyperSpec = Readonly<Record<string, FieldSpec>>;

export type Hyper = Record<string, number | boolean | string | readonly number[]>;

function describeBounds(b: Bounds): string {
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`>= ${b.min}`);
  if (b.above !== undefined) parts.push(`> ${b.above}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  if (b.below !== undefined) parts.push(`< ${b.below}`);
  return parts.join(" and ");
}

function inBounds(v: number, b: Bounds): boolean {
  return (
    (b.min === undefined || v >= b.min) &&
    (b.above === undefined || v > b.above) &&
    (b.max === undefined || v <= b.max) &&
    (b.below === undefined || v < b.below)
  );
}

function checkNumber(owner: string, field: string, v: unknown, b: Bounds, integer = false): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new HyperparameterError(field, `${owner}: '${field}' must be a finite number, got ${JSON.stringify(v)}`);
  }
  if (integer && !Number.isInteger(v)) {
    throw new HyperparameterError(field, `${owner}: '${field}' must be an integer, got ${v}`);
  }
  if (!inBounds(v, b)) {
    throw new HyperparameterError(field, `${owner}: '${field}' must be ${describeBounds(b)}, got ${v}`);
  }
  return v;
}

function checkField(owner: string, field: string, spec: FieldSpec, v: unknown): Hyper[string] {
  switch (spec.kind) {
    case "number":
      return checkNumber(owner, field, v, spec, spec.integer);
    case "boolean":
      if (typeof v !== "boolean") {
        throw new HyperparameterError(field, `${owner}: '${field}' must be true or false, got ${JSON.stringify(v)}`);
      }
      return v;
    case "pair": {
      if (!Array.isArray(v) || v.length !== 2) {
        throw new HyperparameterError(field, `${owner}: '${field}' must be a list of two numbers, got ${JSON.stringify(v)}`);
      }
      return [checkNumber(owner, `${field}[0]`, v[0], spec), checkNumber(owner, `${field}[1]`, v[1], spec)] as const;
    }
    case "choice":
      if (typeof v !== "string" || !spec.choices.includes(v)) {
        throw new HyperparameterError(
          field,
          `${owner}: '${field}' must be one of ${spec.choices.map((c) => `'${c}'`).join(", ")}, got ${JSON.stringify(v)}`,
        );
      }
      return v;
    case "numbers": {
      if (!Array.isArray(v)) {
        throw new HyperparameterError(field, `${owner}: '${field}' must be a list of numbers, got ${JSON.stringify(v)}`);
      }
      const list = v.map((x, i) => checkNumber(owner, `${field}[${i}]`, x, {}));
      if (spec.increasing && list.some((x, i) => i > 0 && x <= list[i - 1]!)) {
        throw new HyperparameterError(field, `${owner}: '${field}' must be strictly increasing, got ${JSON.stringify(v)}`);
      }
      return list;
    }
  }
}

/**
 * Fills defaults and checks every field of `input` against `spec`. `owner` names the rule or
 * schedule in messages, e.g. "adam: 'betas[1]' must be >= 0 and < 1, got 1".
 */
export function resolveHyper<H>(owner: string, spec: HyperSpec, input: unknown): H {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new HyperparameterError("", `${owner}: hyperparameters must be an object, got ${JSON.stringify(input)}`);
  }
  const given = input as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !(k in spec));
  if (unknown.length > 0) {
    throw new HyperparameterError(
      unknown[0]!,
      `${owner}: unknown hyperparameter '${unknown[0]}'; known: ${Object.keys(spec).join(", ")}`,
    );
  }
  const out: Hyper = {};
  for (const [field, fieldSpec] of Object.entries(spec)) {
    out[field] = field in given ? checkField(owner, field, fieldSpec, given[field]) : fieldSpec.default;
  }
  return out as H;
}

export function requireThat(condition: boolean, owner: string, field: string, message: string): void {
  if (!condition) throw new HyperparameterError(field, `${owner}: ${message}`);
}

// Field specs shared by many rules, with PyTorch's bounds.
export const lrField = (value: number): FieldSpec => ({ kind: "number", default: value, min: 0 });
export const epsField = (value: number): FieldSpec => ({ kind: "number", default: value, min: 0 });
export const nonNegative = (value: number): FieldSpec => ({ kind: "number", default: value, min: 0 });
export const betasField = (b1: number, b2: number): FieldSpec => ({ kind: "pair", default: [b1, b2], min: 0, below: 1 });
export const flag = (value = false): FieldSpec => ({ kind: "boolean", default: value });
