#!/usr/bin/env node
// The triggers command: runs the bundle that `npm run build` makes (a packed CLI ships it built).
import fs from "node:fs";

const bundle = new URL("../dist/triggers.js", import.meta.url);
if (!fs.existsSync(bundle)) {
  console.error("triggers is not built: run `npm run build` at the repository's root, then try again");
  process.exit(2);
}
await import(bundle.href);
