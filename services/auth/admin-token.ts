// Checks the admin token in constant time, so that response times reveal nothing about it.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value).digest();

export function isAdminToken(expected: string | undefined, presented: string | undefined): boolean {
  if (!expected || !presented) return false;
  return timingSafeEqual(digest(expected), digest(presented));
}
