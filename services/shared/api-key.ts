// How an API key is written, and how one is read without any lookup: "tk_", environment, key id, secret, checksum.
import { crc32 } from "node:zlib";

/** Keys say which deployment issued them: a leaked test key is a smaller matter than a live one. */
export const keyEnvironments = ["live", "test"] as const;
export type KeyEnvironment = (typeof keyEnvironments)[number];

export const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export const keyIdLength = 12;
export const secretLength = 32;
const checksumLength = 6;

/**
 * `tk_<environment>_<12-character id>_<32-character secret><6-character checksum>`, all base62. The prefix lets
 * secret scanners and people recognise a Triggers key; the id finds its row; the checksum (CRC-32 of all before
 * it, in base62) lets a mistyped key be refused, and a scanner confirm a find, without asking anyone.
 */
const keyPattern = new RegExp(
  `^tk_(${keyEnvironments.join("|")})_([0-9A-Za-z]{${keyIdLength}})_([0-9A-Za-z]{${secretLength}})([0-9A-Za-z]{${checksumLength}})$`,
);

export interface ParsedKey {
  environment: KeyEnvironment;
  id: string;
  secret: string;
}

export function formatKey({ environment, id, secret }: ParsedKey): string {
  const body = `${keyPrefix(environment, id)}_${secret}`;
  return `${body}${checksumOf(body)}`;
}

/** The key's parts; undefined when it is not shaped like one of ours or its checksum does not match. */
export function parseKey(key: string): ParsedKey | undefined {
  const match = keyPattern.exec(key);
  if (!match || checksumOf(key.slice(0, -checksumLength)) !== match[4]) return undefined;
  return { environment: match[1] as KeyEnvironment, id: match[2]!, secret: match[3]! };
}

/** How a key begins, up to its secret: what listings show. */
export function keyPrefix(environment: KeyEnvironment, id: string): string {
  return `tk_${environment}_${id}`;
}

function checksumOf(text: string): string {
  let value = crc32(text);
  let digits = "";
  for (let i = 0; i < checksumLength; i++) {
    digits = base62[value % 62] + digits;
    value = Math.floor(value / 62);
  }
  return digits;
}
