// Another commit of this repository, checked out beside it and built, so that the bench can run its services.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../tools/stack/services.js";

const run = promisify(execFile);

export interface BuiltCommit {
  /** The commit the ref named. */
  commit: string;
  root: string;
  remove(): Promise<void>;
}

/** Checks the ref out in a temporary worktree and builds it; its dependencies are ours when its lockfile is ours. */
export async function buildCommit(ref: string): Promise<BuiltCommit> {
  const git = (...args: string[]) => run("git", args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  const commit = (await git("rev-parse", "--verify", `${ref}^{commit}`)).stdout.trim();
  const root = path.join(await mkdtemp(path.join(os.tmpdir(), "triggers-compare-")), "checkout");
  await git("worktree", "add", "--detach", root, commit);
  const remove = async () => {
    await git("worktree", "remove", "--force", root);
    await rm(path.dirname(root), { recursive: true, force: true });
  };
  try {
    const lockfile = (dir: string) => readFile(path.join(dir, "package-lock.json"), "utf8");
    if ((await lockfile(root)) === (await lockfile(REPO_ROOT)))
      await symlink(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
    else await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    await run(process.execPath, ["tools/build.mjs"], { cwd: root });
    return { commit, root, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
