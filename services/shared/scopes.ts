// What an API key may do, and the scope each method declares in its contract (triggers.v1.required_scope).
import { type DescMethod, getOption, hasOption } from "@bufbuild/protobuf";
import { any_key, required_scope } from "../../gen/triggers/v1/access_pb.js";
import { MissingScope } from "./domain-errors.js";

/** Publishing events; reading and acknowledging them; managing keys, subscriptions and org settings. */
export const scopes = ["events:write", "events:read", "admin"] as const;
export type Scope = (typeof scopes)[number];

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value);
}

// Reading an option decodes the method's options anew each time: far more than the rest of a request's checks.
const declared = new WeakMap<DescMethod, string | undefined>();

/** The scope a method's contract requires; undefined when it declares none. */
export function requiredScope(method: DescMethod): string | undefined {
  if (!declared.has(method)) declared.set(method, hasOption(method, required_scope) ? getOption(method, required_scope) : undefined);
  return declared.get(method);
}

const anyKey = new WeakMap<DescMethod, boolean>();

/** Whether the method's contract lets any key that works call it, whatever its scopes (triggers.v1.any_key). */
export function takesAnyKey(method: DescMethod): boolean {
  if (!anyKey.has(method)) anyKey.set(method, getOption(method, any_key));
  return anyKey.get(method)!;
}

/** Throws MissingScope unless the key's scopes include what the method requires. */
export function checkScope(method: DescMethod, held: readonly string[]): void {
  if (takesAnyKey(method)) return;
  const needed = requiredScope(method);
  if (needed === undefined) throw new Error(`${method.parent.typeName}.${method.name} declares no required scope`);
  if (!held.includes(needed)) throw new MissingScope(needed, held);
}
