// Loads each service's own config from the environment its container gets, as the service does at start.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type ContainerRef, containers, environment, isAppContainer, type SecretValues } from "./objects.js";
import type { K8sObject } from "./render.js";

type Loader = (env?: Record<string, string | undefined>) => unknown;

/** Each service's `load…Config` function, exported by services/<name>/config.ts. */
export async function configLoaders(servicesDir: string, services: string[]): Promise<Map<string, Loader>> {
  const loaders = new Map<string, Loader>();
  for (const service of services) {
    const module = await import(pathToFileURL(path.join(servicesDir, service, "config.ts")).href);
    const loader = Object.entries(module).find(([name, value]) => /^load\w*Config$/.test(name) && typeof value === "function");
    if (!loader) throw new Error(`services/${service}/config.ts exports no load…Config function`);
    loaders.set(service, loader[1] as Loader);
  }
  return loaders;
}

/**
 * What stops a service at start with the environment the manifests give it: a required setting missing, a value its
 * config refuses. Some loaders take the environment as an argument, others read process.env: both get the container's.
 */
export function checkConfigLoads(objects: K8sObject[], loaders: Map<string, Loader>, secretValues: SecretValues = {}): string[] {
  return containers(objects)
    .filter((ref) => isAppContainer(ref) && loaders.has(ref.container.args?.[0]))
    .flatMap((ref) => {
      const env = containerEnv(ref, objects, secretValues);
      const loader = loaders.get(ref.container.args[0])!;
      const saved = process.env;
      process.env = env;
      try {
        loader(env);
        return [];
      } catch (err) {
        return [`${ref.where}: ${(err as Error).message}`];
      } finally {
        process.env = saved;
      }
    });
}

function containerEnv(ref: ContainerRef, objects: K8sObject[], secretValues: SecretValues): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, entry] of environment(ref, objects, secretValues)) if (entry.value !== undefined) env[name] = entry.value;
  return env;
}
