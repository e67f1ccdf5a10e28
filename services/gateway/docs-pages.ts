// The API reference for people: GET /docs renders the OpenAPI document (GET /openapi.json) with Scalar, served from here, no CDN.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { HttpHandler } from "../shared/server.js";

type Page = { headers: Record<string, string>; body: Buffer };

// Paths from the app's root, where package.json is: the repository, or /app in the image (see the Dockerfile).
const documentFile = "openapi/triggers.v1.openapi.json";
const rendererFile = "node_modules/@scalar/api-reference/dist/browser/standalone.js";

// Nothing leaves for Scalar's cloud (fonts, telemetry, its AI agent, its developer tools): the page works with no
// internet, and the try-it client sends requests straight to this gateway.
const configuration = {
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: "never",
  authentication: { preferredSecurityScheme: "ApiKey" },
  defaultOpenAllTags: true,
};

const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Triggers API reference</title>
  </head>
  <body>
    <script id="api-reference" data-url="/openapi.json" data-configuration='${JSON.stringify(configuration)}'></script>
    <script src="/docs/api-reference.js"></script>
  </body>
</html>
`;

/** Serves the reference's three files, read once at start, and hands every other request to next. */
export function docsPages(next: HttpHandler): HttpHandler {
  const root = appRoot();
  const pages = new Map<string, Page>([
    ["/docs", page("text/html; charset=utf-8", Buffer.from(html), { "content-security-policy": contentSecurityPolicy })],
    ["/docs/api-reference.js", page("text/javascript; charset=utf-8", readAsset(root, rendererFile))],
    ["/openapi.json", page("application/json", readAsset(root, documentFile))],
  ]);
  return (req, res) => {
    const found = req.method === "GET" || req.method === "HEAD" ? pages.get(req.url?.split("?")[0] ?? "") : undefined;
    if (!found) return next(req, res);
    // The renderer is 3.5 MB: a browser that has it asks whether it changed, and is told it did not.
    if (req.headers["if-none-match"] === found.headers.etag) {
      res.writeHead(304, found.headers);
      return void res.end();
    }
    res.writeHead(200, { ...found.headers, "content-length": String(found.body.length) });
    if (req.method === "HEAD") return void res.end();
    res.end(found.body);
  };
}

// The page may load and call only this gateway, whatever Scalar's settings say; Scalar styles its parts inline.
const contentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:";

function page(type: string, body: Buffer, headers: Record<string, string> = {}): Page {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { headers: { "content-type": type, "cache-control": "no-cache", etag, ...headers }, body };
}

// Scalar is a dev dependency: an install without them (npm ci --omit=dev) must copy its one file, as the image does.
function readAsset(root: string, file: string): Buffer {
  const where = path.join(root, file);
  if (!fs.existsSync(where)) throw new Error(`the gateway serves ${file} at /docs, and ${where} is missing: see the Dockerfile`);
  return fs.readFileSync(where);
}

function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("the gateway found no package.json above it, so no docs to serve");
    dir = parent;
  }
  return dir;
}
