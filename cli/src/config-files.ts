// The CLI's own files (the config, listen's secret and cursors): where they live, and reading and writing them owner-only.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "./command-errors.js";

/** --config-dir, else $TRIGGERS_CONFIG_DIR, else $XDG_CONFIG_HOME/triggers, else ~/.config/triggers. */
export function configDirOf(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.TRIGGERS_CONFIG_DIR) return path.resolve(env.TRIGGERS_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "triggers");
}

/** A JSON file of the folder; undefined when there is none. */
export function readJsonFile<T>(dir: string, name: string): T | undefined {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`, "check the file's permissions");
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UsageError(`${file} is not JSON`, "fix it, or delete it and run `triggers login` again");
  }
}

/**
 * Writes a JSON file that only its owner can read (0600, in a 0700 folder): the config holds an API key, listen's
 * file a signing secret. Written whole to a temporary file and renamed, so a crash never leaves half a file.
 */
export function writeJsonFile(dir: string, name: string, value: unknown): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  const temporary = `${file}.${process.pid}.tmp`;
  // mode applies only when the file is made, and the umask can narrow it but never widen it: 0600 is what it gets.
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
  return file;
}
