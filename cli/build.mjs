// Bundles the triggers command into one file, dist/triggers.js (or the path given), holding the SDK and every library it uses.
// One file with no dependencies: the packed CLI installs without the SDK, which is not on a registry, and starts fast.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.resolve(process.argv[2] ?? path.join(here, "dist", "triggers.js"));

const { outputFiles } = await esbuild.build({
  entryPoints: [path.join(here, "src", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // commander is CommonJS and requires Node's built-ins, which an ES module bundle can only do through a require of its own.
  banner: { js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);' },
  logLevel: "warning",
  write: false,
});
// Written beside and renamed over the old one, so that a triggers starting meanwhile (npm pack in one test, npx
// triggers in another) reads the old bundle or the new one, never half of one.
fs.mkdirSync(path.dirname(outfile), { recursive: true });
const staging = `${outfile}.${process.pid}.tmp`;
fs.writeFileSync(staging, outputFiles[0].contents);
fs.renameSync(staging, outfile);
