// Takes the spaces out of JSON text that Postgres wrote, so that inbox pages look like every other answer.

const space = 32;
const newline = 10;
const carriageReturn = 13;
const tab = 9;
const quote = 34;
const backslash = 92;

function isWhitespace(code: number): boolean {
  return code === space || code === newline || code === carriageReturn || code === tab;
}

/**
 * The same JSON without whitespace between its tokens; strings are kept as they are. Postgres writes jsonb as
 * `{"id": "…", "data": {"n": 1}}`, and there is no compact way to have it write jsonb. Parsing and writing it
 * again in Node would take twice as long and round large numbers in the events' data; this walks the text once,
 * jumping over strings with indexOf. The text must be valid JSON, as Postgres writes it.
 */
export function compactJson(text: string): string {
  let out = "";
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === quote) {
      i = stringEnd(text, i) + 1;
    } else if (isWhitespace(code)) {
      out += text.slice(copied, i);
      do i++;
      while (i < text.length && isWhitespace(text.charCodeAt(i)));
      copied = i;
    } else {
      i++;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Where the string that opens at `start` closes: the next quote not escaped by an odd number of backslashes. */
function stringEnd(text: string, start: number): number {
  let end = start;
  for (;;) {
    end = text.indexOf('"', end + 1);
    if (end < 0) return text.length;
    let escapes = 0;
    while (text.charCodeAt(end - 1 - escapes) === backslash) escapes++;
    if (escapes % 2 === 0) return end;
  }
}
