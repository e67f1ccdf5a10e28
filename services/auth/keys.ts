// API keys: how they are made, and how a presented key is checked against its stored hash.
import { randomInt } from "node:crypto";
import * as argon2 from "argon2";
import { apiKeyPattern } from "../shared/authenticate.js";

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// OWASP's argon2id minimum: keys are random, so the hash guards against a leaked table, not weak secrets.
const hashOptions: argon2.HashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

function randomText(length: number): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");
}

export interface NewKey {
  id: string;
  /** The whole key, to show once. */
  key: string;
  secretHash: string;
}

export async function newKey(): Promise<NewKey> {
  const id = randomText(12);
  const secret = randomText(32);
  return { id, key: `tk_${id}_${secret}`, secretHash: await argon2.hash(secret, hashOptions) };
}

/** Splits a presented key into its id and secret; undefined when it is not shaped like one of ours. */
export function parseKey(key: string): { id: string; secret: string } | undefined {
  const match = apiKeyPattern.exec(key);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function secretMatches(secretHash: string, secret: string): Promise<boolean> {
  return argon2.verify(secretHash, secret);
}
