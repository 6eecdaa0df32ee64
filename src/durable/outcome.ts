import { RefusalError, type Refusal } from "../problems";

/** What an object's RPC method answers: a value, or why it refused (thrown errors lose their fields crossing RPC). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

/** Runs an operation, answering refusals as values. */
export async function answer<T>(f: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    if (e instanceof RefusalError) return { ok: false, refusal: e.toRefusal() };
    throw e;
  }
}

/** The value of an outcome, or its refusal thrown. */
export function valueOf<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { code, detail, extensions } = outcome.refusal;
  throw new RefusalError(code, detail, extensions ? { ...extensions } : undefined);
}

type OutcomeMethod = (...args: never[]) => Promise<Outcome<unknown>>;
type Unwrapped<M> = M extends (...args: infer A) => Promise<Outcome<infer T>> ? (...args: A) => Promise<T> : never;

/** Every Outcome-answering method of the object class O, as a client calls it: it answers the value and throws the refusal. */
export type OutcomeClient<O> = { readonly [K in keyof O as O[K] extends OutcomeMethod ? K : never]: Unwrapped<O[K]> };

/** A Durable Object namespace, as far as a client needs it. */
interface Namespace {
  idFromName(name: string): any;
  get(id: any): unknown;
}

/** The client of the object `name` of a namespace (its stub's own type keeps only the value branch of Outcome). */
export function outcomeClient<O>(namespace: Namespace, name: string): OutcomeClient<O> {
  const stub = namespace.get(namespace.idFromName(name)) as Record<string, (...args: unknown[]) => Promise<Outcome<unknown>>>;
  return new Proxy({} as OutcomeClient<O>, {
    get: (_, method) => (typeof method === "string" && method !== "then" ? async (...args: unknown[]) => valueOf(await stub[method]!(...args)) : undefined),
  });
}
