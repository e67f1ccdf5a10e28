// What the checks read from rendered objects: pod templates, label selectors, containers and their environment.
import type { K8sObject } from "./render.js";

/** The repository name of the image every Triggers service runs, whatever registry and tag an overlay gives it. */
export const APP_IMAGE = "triggers";

export interface PodTemplate {
  /** "Deployment/gateway", for messages. */
  owner: string;
  object: K8sObject;
  namespace: string;
  labels: Record<string, string>;
  spec: any;
}

export interface ContainerRef {
  pod: PodTemplate;
  container: any;
  init: boolean;
  /** "Deployment/gateway container gateway", for messages. */
  where: string;
}

const workloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"]);

export const namespaceOf = (object: K8sObject) => object.metadata.namespace ?? "";
export const describe = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;

export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  return objects
    .filter((object) => workloadKinds.has(object.kind))
    .map((object) => ({
      owner: describe(object),
      object,
      namespace: namespaceOf(object),
      labels: object.spec?.template?.metadata?.labels ?? {},
      spec: object.spec?.template?.spec ?? {},
    }));
}

export function containers(objects: K8sObject[]): ContainerRef[] {
  return podTemplates(objects).flatMap((pod) =>
    [
      ...(pod.spec.initContainers ?? []).map((container: any) => ({ container, init: true })),
      ...(pod.spec.containers ?? []).map((container: any) => ({ container, init: false })),
    ].map(({ container, init }) => ({ pod, container, init, where: `${pod.owner} container ${container.name}` })),
  );
}

/** "registry.example.com/triggers:0.1.0" → "triggers". */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0]!;
  const lastPart = withoutDigest.split("/").pop()!;
  return lastPart.split(":")[0]!;
}

export const isAppContainer = (ref: ContainerRef) => imageRepository(ref.container.image ?? "") === APP_IMAGE;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a selector picks these labels; an empty selector picks everything, as Kubernetes reads one. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case "In":
          return key in labels && values.includes(labels[key]!);
        case "NotIn":
          return !(key in labels) || !values.includes(labels[key]!);
        case "Exists":
          return key in labels;
        case "DoesNotExist":
          return !(key in labels);
        default:
          return false;
      }
    })
  );
}

/** A Service's selector is a plain map; a Service without one selects nothing by itself. */
export function selectsMap(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return selector !== undefined && Object.keys(selector).length > 0 && selects({ matchLabels: selector }, labels);
}

export interface EnvEntry {
  /** The value, when the render or secretValues hold it; undefined for fields and for Secrets nobody gave. */
  value?: string;
  /** Where it comes from, for messages: "ConfigMap triggers-abc", "Secret triggers", "env". */
  source: string;
}

/** Secrets' values by name and key, for Secrets that the render does not hold (the prod operator's). */
export type SecretValues = Record<string, Record<string, string>>;

/**
 * A container's environment as Kubernetes builds it: envFrom first, then env, with $(NAME) expanded. Values come from
 * rendered ConfigMaps and Secrets, or from secretValues for Secrets created outside the render.
 */
export function environment(ref: ContainerRef, objects: K8sObject[], secretValues: SecretValues = {}): Map<string, EnvEntry> {
  const env = new Map<string, EnvEntry>();
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && namespaceOf(o) === ref.pod.namespace);
  const secret = (name: string) => secretData(find("Secret", name)) ?? secretValues[name];
  for (const from of ref.container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.configMapRef) {
      const data = find("ConfigMap", from.configMapRef.name)?.data ?? {};
      for (const [key, value] of Object.entries(data)) {
        env.set(prefix + key, { value: value as string, source: `ConfigMap ${from.configMapRef.name}` });
      }
    }
    if (from.secretRef) {
      for (const [key, value] of Object.entries(secret(from.secretRef.name) ?? {})) {
        env.set(prefix + key, { value, source: `Secret ${from.secretRef.name}` });
      }
    }
  }
  for (const entry of ref.container.env ?? []) {
    const { configMapKeyRef, secretKeyRef } = entry.valueFrom ?? {};
    if (entry.value !== undefined) {
      env.set(entry.name, { value: expand(entry.value, env), source: "env" });
    } else if (configMapKeyRef) {
      env.set(entry.name, {
        value: find("ConfigMap", configMapKeyRef.name)?.data?.[configMapKeyRef.key],
        source: `ConfigMap ${configMapKeyRef.name}`,
      });
    } else if (secretKeyRef) {
      env.set(entry.name, { value: secret(secretKeyRef.name)?.[secretKeyRef.key], source: `Secret ${secretKeyRef.name}` });
    } else {
      env.set(entry.name, { source: "a field" });
    }
  }
  return env;
}

/** A rendered Secret's values, decoded; undefined when it is not rendered. */
function secretData(secret: K8sObject | undefined): Record<string, string> | undefined {
  if (!secret) return undefined;
  const decoded = Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value as string, "base64").toString("utf8")]);
  return { ...Object.fromEntries(decoded), ...secret.stringData };
}

/** Kubernetes' dependent variables: $(NAME) takes the value of a variable defined before it. */
function expand(value: string, env: Map<string, EnvEntry>): string {
  return value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) =>
    env.has(name) ? (env.get(name)!.value ?? whole) : whole,
  );
}

/** The names a container's env values refer to as $(NAME). */
export function referencedVariables(container: any): Set<string> {
  const names = new Set<string>();
  for (const entry of container.env ?? []) {
    for (const match of String(entry.value ?? "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) names.add(match[1]!);
  }
  return names;
}
