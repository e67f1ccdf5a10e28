// The API reference for people: GET /docs renders the OpenAPI document (GET /openapi.json) with Scalar, served from here, no CDN.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { HttpHandler } from "../shared/server.js";

type Page = { type: string; body: Buffer };

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
    ["/docs", { type: "text/html; charset=utf-8", body: Buffer.from(html) }],
    ["/docs/api-reference.js", { type: "text/javascript; charset=utf-8", body: fs.readFileSync(path.join(root, rendererFile)) }],
    ["/openapi.json", { type: "application/json", body: fs.readFileSync(path.join(root, documentFile)) }],
  ]);
  return (req, res) => {
    const page = req.method === "GET" || req.method === "HEAD" ? pages.get(req.url?.split("?")[0] ?? "") : undefined;
    if (!page) return next(req, res);
    res.writeHead(200, { "content-type": page.type, "content-length": String(page.body.length), "cache-control": "no-cache" });
    if (req.method === "HEAD") return void res.end();
    res.end(page.body);
  };
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
