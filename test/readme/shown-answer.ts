// Whether an answer matches the one a README shows: ids and times masked, and `...` standing for more.

const uuid = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const rfc3339 = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Ids and times as `<id>` and `<time>`: they differ on every run, and the README may show any. */
export function masked(text: string): string {
  return text.replace(uuid, "<id>").replace(rfc3339, "<time>");
}

/** An answer as the README shows one: each line's ends trimmed and the lines joined, as the shown lines are. */
export function asShown(output: string): string {
  return output
    .split("\n")
    .map((line) => line.trim())
    .join("");
}

/**
 * The shown answer as a pattern over the whole answer. `...` just before a closing quote is the rest of a JSON string
 * (`"tk_test_..."`, `"..."`), so it never reaches past that string; anywhere else it is any text (`{"id":"...",...}`).
 */
export function shownPattern(shown: string): RegExp {
  const parts = masked(shown).split("...");
  let source = literal(parts[0]!);
  for (const part of parts.slice(1)) source += (part.startsWith('"') ? String.raw`(?:[^"\\]|\\.)*` : "[\\s\\S]*?") + literal(part);
  return new RegExp(`^${source}$`);
}

/** Whether the command's output is the answer shown, ids and times aside. */
export function matchesShown(output: string, shown: string): boolean {
  return shownPattern(shown).test(masked(asShown(output)));
}

/** Whether an output is an API error body ({"code", "message", ...}): a command shown without an answer must not give one. */
export function isErrorBody(output: string): boolean {
  try {
    const body = JSON.parse(output) as unknown;
    return typeof body === "object" && body !== null && "code" in body && "message" in body;
  } catch {
    return false;
  }
}

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
