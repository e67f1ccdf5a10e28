// Reads the shell blocks of one README section: their commands, the answers shown after them, and how each block is run.

/**
 * How a block is run: in the walk-through's shell, in order ("run"); not at all, its marker saying why ("not run");
 * or beside the others for the rest of the walk-through, as a reader runs it in another terminal ("another terminal").
 */
export type BlockKind = "run" | "not run" | "another terminal";

export interface Step {
  /** The command as typed, lines ending in a backslash joined to the next. */
  command: string;
  /** The answer shown after it, from the `# ` lines that follow, joined; undefined when none is shown. */
  shown?: string;
  /** The README line the command starts on, for failure messages. */
  line: number;
}

export interface Block {
  kind: BlockKind;
  /** The marker's words after its kind, for a block that is not run in order. */
  reason?: string;
  steps: Step[];
  line: number;
}

const markerPattern = /^<!--\s*(not run|another terminal)\s*:\s*(.+?)\s*-->$/;
// Fences that would read as shell to a reader but that this reader would not run: refused rather than skipped.
const otherShellFences = /^```(bash|shell|console|zsh)\s*$/;

/** The lines of the section under this `## ` heading, up to the next `## ` heading, with their README line numbers. */
export function sectionLines(markdown: string, heading: string): { text: string; line: number }[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`the README has no "## ${heading}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end).map((text, i) => ({ text, line: start + 2 + i }));
}

/**
 * Every ```sh block of the section, in order. A block is run unless the line before its fence is a marker:
 * `<!-- not run: why -->` or `<!-- another terminal: why -->`. Any other comment there, or a shell fence other than
 * sh, is an error, so that no block is left out by a typo.
 */
export function readmeBlocks(markdown: string, heading: string): Block[] {
  const lines = sectionLines(markdown, heading);
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const { text, line } = lines[i]!;
    if (otherShellFences.test(text)) throw new Error(`README line ${line}: shell blocks are fenced as sh, not ${text}`);
    if (text !== "```sh") continue;
    const end = lines.findIndex((candidate, j) => j > i && candidate.text === "```");
    if (end < 0) throw new Error(`README line ${line}: the block is not closed`);
    blocks.push({ ...markerBefore(lines[i - 1]), steps: steps(lines.slice(i + 1, end)), line });
    i = end;
  }
  return blocks;
}

function markerBefore(previous: { text: string; line: number } | undefined): { kind: BlockKind; reason?: string } {
  const text = previous?.text.trim() ?? "";
  if (!text.startsWith("<!--")) return { kind: "run" };
  const marker = markerPattern.exec(text);
  if (!marker) throw new Error(`README line ${previous!.line}: "${text}" is not a marker this test knows`);
  return { kind: marker[1] as BlockKind, reason: marker[2] };
}

function steps(lines: { text: string; line: number }[]): Step[] {
  const found: Step[] = [];
  let open: Step | undefined;
  let shown: string[] = [];
  const close = () => {
    if (open) found.push(shown.length > 0 ? { ...open, shown: shown.join("") } : open);
    open = undefined;
    shown = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const { text, line } = lines[i]!;
    if (text.startsWith("#")) {
      if (!open) throw new Error(`README line ${line}: an answer shown before any command`);
      shown.push(text.slice(1).trim());
    } else if (text.trim() === "") {
      close();
    } else {
      close();
      const command = [text];
      while (command.at(-1)!.endsWith("\\") && i + 1 < lines.length) command.push(lines[++i]!.text);
      open = { command: command.join("\n"), line };
    }
  }
  close();
  return found;
}

/** The names a block exports (`export NAME=...`). */
export function exportedNames(block: Block): string[] {
  return block.steps.flatMap((step) => [...step.command.matchAll(/^export ([A-Z_][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
}
