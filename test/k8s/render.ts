// Renders a Kustomize directory offline with kubectl, into plain objects.
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const K8S_DIR = path.join(REPO_ROOT, "k8s");
export const OVERLAYS = { dev: path.join(K8S_DIR, "overlays", "dev"), prod: path.join(K8S_DIR, "overlays", "prod") };

/** A rendered Kubernetes object: typed where the checks read it, open elsewhere. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

/**
 * kubectl's built-in Kustomize, as `kubectl kustomize <dir>` runs it, but printing JSON, as the project has no YAML
 * parser: `label --local -k <dir>` builds the kustomization and prints the objects without asking any cluster, and
 * removing a label that no object has leaves them as they were.
 */
export async function renderKustomization(dir: string): Promise<K8sObject[]> {
  const args = ["label", "--local", "-k", dir, "-o", "json", `--kubeconfig=${os.devNull}`, "triggers.invalid/none-"];
  try {
    const { stdout } = await run("kubectl", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return splitJsonStream(stdout) as K8sObject[];
  } catch (err: any) {
    if (err.code === "ENOENT") {
      throw new Error("kubectl is needed to render k8s/ (it has Kustomize built in): install kubectl 1.27 or later and put it on the PATH");
    }
    throw new Error(`kubectl could not render ${dir}: ${String(err.stderr || err.message).trim()}`);
  }
}

/** kubectl prints one JSON document per object, one after the other. */
export function splitJsonStream(text: string): unknown[] {
  const documents: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "{") {
      if (depth++ === 0) start = i;
    } else if (char === "}" && --depth === 0) {
      documents.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return documents;
}
