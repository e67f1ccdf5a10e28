// API keys: how they are made, and how a presented key's secret is checked against its stored hash.
import { randomInt } from "node:crypto";
import * as argon2 from "argon2";
import { base62, formatKey, type KeyEnvironment, keyIdLength, secretLength } from "../shared/api-key.js";

// OWASP's argon2id minimum: keys are random, so the hash guards against a leaked table, not weak secrets.
const hashOptions: argon2.HashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

function randomText(length: number): string {
  return Array.from({ length }, () => base62[randomInt(base62.length)]).join("");
}

export interface NewKey {
  id: string;
  /** The whole key, to show once. */
  key: string;
  secretHash: string;
}

export async function newKey(environment: KeyEnvironment): Promise<NewKey> {
  const id = randomText(keyIdLength);
  const secret = randomText(secretLength);
  return { id, key: formatKey({ environment, id, secret }), secretHash: await argon2.hash(secret, hashOptions) };
}

export function secretMatches(secretHash: string, secret: string): Promise<boolean> {
  return argon2.verify(secretHash, secret);
}
