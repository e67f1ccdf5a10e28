// Reads a Dockerfile into stages of instructions, and tells whether .dockerignore keeps a path out of the build context.

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  value: string;
}

export interface Stage {
  /** The `AS` name, or the stage's index when it has none. */
  name: string;
  from: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const stages: Stage[] = [];
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))) {
    const [, keyword = "", value = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === "FROM") {
      const [from = "", , name] = value.replace(/--\S+\s+/g, "").split(/\s+/);
      stages.push({ name: name ?? String(stages.length), from, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), value });
    }
  }
  return stages;
}

export interface Copy {
  from?: string;
  sources: string[];
  destination: string;
}

/** A COPY's --from and its sources and destination, in either the shell or the JSON form. */
export function parseCopy(value: string): Copy {
  const from = /--from=(\S+)/.exec(value)?.[1];
  const rest = value.replace(/--\S+/g, "").trim();
  const parts: string[] = rest.startsWith("[") ? JSON.parse(rest) : rest.split(/\s+/);
  return { from, sources: parts.slice(0, -1), destination: parts.at(-1)! };
}

/** Whether a path of the build context matches a pattern of .dockerignore, or lies under one that does. */
export function ignoredBy(patterns: string[], file: string): boolean {
  const segments = file.replace(/^\.\//, "").replace(/\/$/, "").split("/");
  const candidates = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  let ignored = false;
  // As Docker reads them: later lines win, and a `!` line lets back what an earlier one kept out.
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const regex = globToRegex(negated ? raw.slice(1) : raw);
    if (candidates.some((candidate) => regex.test(candidate))) ignored = !negated;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => line.replace(/^\/+/, "").replace(/\/+$/, ""));
}

function globToRegex(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (glob.startsWith("**/", i)) {
      source += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      source += ".*";
      i += 1;
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** A stage and the stages it is built on, innermost first. */
export function lineage(stages: Stage[], stage: Stage): Stage[] {
  const parent = stages.find((s) => s.name === stage.from);
  return parent ? [stage, ...lineage(stages, parent)] : [stage];
}
