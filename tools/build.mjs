// npm run build: compiles the services and the launcher into dist/, swapped in whole so that another run using dist/ is not
// disturbed, and bundles the triggers CLI into cli/dist/.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, "dist");

// Beside dist/, so that the swap is a rename within one filesystem.
const staging = fs.mkdtempSync(path.join(root, ".dist-staging-"));
try {
  execFileSync(
    process.execPath,
    [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", staging],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  // Migrations and anything else the services read at run time besides their code.
  fs.cpSync(path.join(root, "services"), path.join(staging, "services"), { recursive: true, filter: (from) => !from.endsWith(".ts") });
  const retired = `${staging.replace(".dist-staging-", ".dist-retired-")}`;
  if (fs.existsSync(dist)) fs.renameSync(dist, retired);
  fs.renameSync(staging, dist);
  fs.rmSync(retired, { recursive: true, force: true });
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
}
// The CLI's bundle, one file renamed into place whole, which `npx triggers` runs. The image's build stage copies
// only what the services need, without cli/: there is nothing to bundle there.
const cliBuild = path.join(root, "cli", "build.mjs");
if (fs.existsSync(cliBuild)) execFileSync(process.execPath, [cliBuild], { cwd: root, stdio: "inherit" });
