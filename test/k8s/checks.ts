// Cross-checks of rendered manifests against each other and the code: each returns the problems it finds, none when sound.
import {
  type ContainerRef,
  containers,
  describe,
  environment,
  isAppContainer,
  namespaceOf,
  type PodTemplate,
  podTemplates,
  referencedVariables,
  selects,
  selectsMap,
} from "./objects.js";
import type { K8sObject } from "./render.js";

/** The Secret the prod overlay does not render: the operator creates it (see the README). */
export const OPERATOR_SECRET = "triggers";

/** Values of the shape the README tells the operator to create, key by key, to load prod's configs with. */
export const OPERATOR_SECRET_SAMPLE: Record<string, string> = {
  "admin-token": "ta_sample_admin_token",
  "postgres-password": "0123456789abcdef0123456789abcdef",
  "signing-secrets-key": Buffer.alloc(32, 1).toString("base64"),
  // Optional: what a rotation of the signing secrets key adds (see the README's Webhook signing secrets).
  "signing-secrets-keys": `2026-12:${Buffer.alloc(32, 2).toString("base64")}`,
};

/** What `node dist/services/run.js` takes besides a service's name. */
export const MIGRATE_COMMAND = "migrate";

/** The services' default SHUTDOWN_GRACE_MS (services/shared/config.ts), when the manifests do not set it. */
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

const upper = (service: string) => service.toUpperCase();
const appContainers = (objects: K8sObject[]) => containers(objects).filter((ref) => isAppContainer(ref) && !ref.init);
/** The service or command an app container runs: its single argument. */
const commandOf = (ref: ContainerRef): string | undefined => (ref.container.args?.length === 1 ? ref.container.args[0] : undefined);

/** Every service has a Deployment running it and a Service in front of it, with its API port named grpc. */
export function checkServicesDeployed(objects: K8sObject[], services: string[]): string[] {
  return services.flatMap((service) => {
    const problems: string[] = [];
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === service);
    if (!deployment) problems.push(`${service}: no Deployment`);
    else if (!appContainers([deployment]).some((ref) => commandOf(ref) === service))
      problems.push(`Deployment/${service}: runs no ${service} container`);
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === service);
    if (!svc) problems.push(`${service}: no Service`);
    else if (!svc.spec?.ports?.some((port: any) => port.name === "grpc")) problems.push(`Service/${service}: no port named grpc`);
    return problems;
  });
}

/** Every container of the Triggers image runs one real service, or the migrations. */
export function checkContainerArgs(objects: K8sObject[], services: string[]): string[] {
  const known = [...services, MIGRATE_COMMAND];
  return appContainers(objects).flatMap((ref) => {
    const command = commandOf(ref);
    if (ref.container.command) return [`${ref.where}: overrides the image's entry point`];
    return command && known.includes(command)
      ? []
      : [`${ref.where}: args ${JSON.stringify(ref.container.args)} name none of ${known.join(", ")}`];
  });
}

/**
 * A service's container exposes exactly the ports its settings say it listens on (<NAME>_PORT, <NAME>_ADMIN_PORT), and
 * its probes ask the admin port, where health is served: liveness the "liveness" service, readiness the whole server.
 */
export function checkPorts(objects: K8sObject[], services: string[]): string[] {
  return appContainers(objects).flatMap((ref) => {
    const service = commandOf(ref);
    if (!service || !services.includes(service)) return [];
    const env = environment(ref, objects);
    const problems: string[] = [];
    const setting = (name: string) => {
      const value = Number(env.get(name)?.value);
      if (!Number.isInteger(value)) problems.push(`${ref.where}: ${name} is not set to a port, so the container's ports cannot be known`);
      return value;
    };
    const api = setting(`${upper(service)}_PORT`);
    const admin = setting(`${upper(service)}_ADMIN_PORT`);
    const ports: any[] = ref.container.ports ?? [];
    for (const [name, port] of [
      ["grpc", api],
      ["admin", admin],
    ] as const) {
      if (!ports.some((p) => p.name === name && p.containerPort === port)) problems.push(`${ref.where}: no port ${name} on ${port}`);
    }
    for (const port of ports) {
      if (port.containerPort !== api && port.containerPort !== admin)
        problems.push(`${ref.where}: port ${port.containerPort} is served by nothing`);
    }
    for (const kind of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const probe = ref.container[kind];
      if (!probe) {
        if (kind !== "startupProbe") problems.push(`${ref.where}: no ${kind}`);
        continue;
      }
      const target = probe.grpc?.port ?? probe.httpGet?.port ?? probe.tcpSocket?.port;
      const number = typeof target === "string" ? ports.find((p) => p.name === target)?.containerPort : target;
      if (number !== admin) problems.push(`${ref.where}: ${kind} asks port ${target}, but health is served on the admin port ${admin}`);
      const asked = probe.grpc?.service ?? "";
      const expected = kind === "readinessProbe" ? "" : "liveness";
      if (probe.grpc && asked !== expected) problems.push(`${ref.where}: ${kind} asks gRPC health of "${asked}", not "${expected}"`);
    }
    return problems;
  });
}

/**
 * Every variable given to a Triggers container is one some config.ts reads, or one another variable of the same
 * container is composed from ($(POSTGRES_PASSWORD) in DATABASE_URL): a misspelt name would be ignored silently.
 */
export function checkEnvNames(objects: K8sObject[], readNames: Set<string>): string[] {
  return appContainers(objects).flatMap((ref) => {
    const composing = referencedVariables(ref.container);
    return [...environment(ref, objects)]
      .filter(([name]) => !readNames.has(name) && !composing.has(name))
      .map(([name, entry]) => `${ref.where}: ${name} (from ${entry.source}) is read by no service's config`);
  });
}

/** Every Secret and ConfigMap a pod uses is rendered, with the keys it asks for; the prod operator's Secret aside. */
export function checkReferences(objects: K8sObject[], operatorSecrets: string[] = []): string[] {
  return podTemplates(objects).flatMap((pod) => {
    const problems: string[] = [];
    const need = (kind: "Secret" | "ConfigMap", name: string, key?: string, optional?: boolean) => {
      if (optional || (kind === "Secret" && operatorSecrets.includes(name))) return;
      const found = objects.find((o) => o.kind === kind && o.metadata.name === name && namespaceOf(o) === pod.namespace);
      if (!found) problems.push(`${pod.owner}: uses ${kind} ${name}, which is not rendered`);
      else if (key !== undefined && !(key in { ...found.data, ...found.stringData }))
        problems.push(`${pod.owner}: ${kind} ${name} has no key ${key}`);
    };
    for (const container of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
      for (const from of container.envFrom ?? []) {
        if (from.configMapRef) need("ConfigMap", from.configMapRef.name, undefined, from.configMapRef.optional);
        if (from.secretRef) need("Secret", from.secretRef.name, undefined, from.secretRef.optional);
      }
      for (const entry of container.env ?? []) {
        const { configMapKeyRef, secretKeyRef } = entry.valueFrom ?? {};
        if (configMapKeyRef) need("ConfigMap", configMapKeyRef.name, configMapKeyRef.key, configMapKeyRef.optional);
        if (secretKeyRef) need("Secret", secretKeyRef.name, secretKeyRef.key, secretKeyRef.optional);
      }
    }
    for (const volume of pod.spec.volumes ?? []) {
      if (volume.configMap) need("ConfigMap", volume.configMap.name, undefined, volume.configMap.optional);
      if (volume.secret) need("Secret", volume.secret.secretName, undefined, volume.secret.optional);
      for (const source of volume.projected?.sources ?? []) {
        if (source.configMap) need("ConfigMap", source.configMap.name, undefined, source.configMap.optional);
        if (source.secret) need("Secret", source.secret.name, undefined, source.secret.optional);
      }
    }
    return problems;
  });
}

const podsIn = (objects: K8sObject[], namespace: string) => podTemplates(objects).filter((pod) => pod.namespace === namespace);

/** Every Service selects pods, which have the ports it forwards to. */
export function checkServiceSelectors(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === "Service")
    .flatMap((svc) => {
      const pods = podsIn(objects, namespaceOf(svc)).filter((pod) => selectsMap(svc.spec?.selector, pod.labels));
      if (pods.length === 0) return [`${describe(svc)}: selector ${JSON.stringify(svc.spec?.selector)} selects no pods`];
      return (svc.spec?.ports ?? []).flatMap((port: any) => {
        const target = port.targetPort ?? port.port;
        const missing = pods.filter((pod) => !podHasPort(pod, target));
        return missing.map(
          (pod) => `${describe(svc)}: port ${port.name ?? port.port} forwards to ${target}, which ${pod.owner} does not expose`,
        );
      });
    });
}

function podHasPort(pod: PodTemplate, target: string | number): boolean {
  return (pod.spec.containers ?? []).some((c: any) =>
    (c.ports ?? []).some((p: any) => (typeof target === "string" ? p.name === target : p.containerPort === target)),
  );
}

/** Every NetworkPolicy, and every pod peer in its rules, selects pods that exist: a typo would open or close nothing. */
export function checkNetworkPolicySelectors(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === "NetworkPolicy")
    .flatMap((policy) => {
      const pods = podsIn(objects, namespaceOf(policy));
      const none = (selector: any) => !pods.some((pod) => selects(selector, pod.labels));
      const problems = none(policy.spec?.podSelector) ? [`${describe(policy)}: podSelector selects no pods`] : [];
      const peers = [
        ...(policy.spec?.ingress ?? []).flatMap((r: any) => r.from ?? []),
        ...(policy.spec?.egress ?? []).flatMap((r: any) => r.to ?? []),
      ];
      // A peer with a namespaceSelector picks pods of other namespaces, which the render does not hold.
      for (const peer of peers.filter((p: any) => p.podSelector && !p.namespaceSelector)) {
        if (none(peer.podSelector)) problems.push(`${describe(policy)}: peer ${JSON.stringify(peer.podSelector)} selects no pods`);
      }
      return problems;
    });
}

/**
 * Online Boutique's security context on every container, init containers included: non-root by number, read-only root
 * filesystem, no privilege escalation, no capabilities, the runtime's seccomp profile; and requests and limits.
 * writableRoot names workloads allowed a writable root filesystem (dev's live update writes into the container).
 */
export function checkSecurity(objects: K8sObject[], writableRoot: string[] = []): string[] {
  const podProblems = podTemplates(objects).flatMap((pod) => {
    const problems: string[] = [];
    if (pod.spec.securityContext?.seccompProfile?.type !== "RuntimeDefault")
      problems.push(`${pod.owner}: pod seccompProfile is not RuntimeDefault`);
    if (pod.spec.hostNetwork || pod.spec.hostPID || pod.spec.hostIPC) problems.push(`${pod.owner}: shares the host's namespaces`);
    return problems;
  });
  const containerProblems = containers(objects).flatMap((ref) => {
    const context = ref.container.securityContext ?? {};
    const problems: string[] = [];
    const runAsUser = context.runAsUser ?? ref.pod.spec.securityContext?.runAsUser;
    if (context.runAsNonRoot !== true) problems.push("runAsNonRoot is not true");
    if (!Number.isInteger(runAsUser) || runAsUser === 0) problems.push(`runAsUser ${runAsUser} is not a non-root uid`);
    if (context.readOnlyRootFilesystem !== true && !writableRoot.includes(ref.pod.object.metadata.name))
      problems.push("readOnlyRootFilesystem is not true");
    if (context.allowPrivilegeEscalation !== false) problems.push("allowPrivilegeEscalation is not false");
    if (context.privileged) problems.push("is privileged");
    if (!context.capabilities?.drop?.includes("ALL")) problems.push("capabilities do not drop ALL");
    if (context.capabilities?.add?.length) problems.push(`adds capabilities ${context.capabilities.add.join(", ")}`);
    for (const kind of ["requests", "limits"]) {
      for (const resource of ["cpu", "memory"]) {
        if (ref.container.resources?.[kind]?.[resource] === undefined) problems.push(`no ${resource} ${kind}`);
      }
    }
    return problems.map((problem) => `${ref.where}: ${problem}`);
  });
  return [...podProblems, ...containerProblems];
}

/**
 * Kubernetes' service links would set variables such as INBOX_PORT=tcp://10.0.0.1:8080 in every pod of the namespace,
 * under the names the services read their ports from.
 */
export function checkServiceLinks(objects: K8sObject[]): string[] {
  return podTemplates(objects)
    .filter((pod) => pod.spec.enableServiceLinks !== false)
    .map((pod) => `${pod.owner}: enableServiceLinks is not false`);
}

/**
 * A stopping service first waits (preStop sleep) for endpoints to drop it, then drains for SHUTDOWN_GRACE_MS and closes
 * its connections: the grace period covers all of it, so Kubernetes does not kill it halfway.
 */
export function checkGracefulShutdown(objects: K8sObject[], services: string[]): string[] {
  return appContainers(objects).flatMap((ref) => {
    const service = commandOf(ref);
    if (!service || !services.includes(service)) return [];
    const command: string[] = ref.container.lifecycle?.preStop?.exec?.command ?? [];
    if (command[0] !== "sleep" || !(Number(command[1]) > 0))
      return [`${ref.where}: no preStop sleep, so it may stop before endpoints drop it`];
    const graceMs = Number(environment(ref, objects).get("SHUTDOWN_GRACE_MS")?.value ?? DEFAULT_SHUTDOWN_GRACE_MS);
    const neededSeconds = Number(command[1]) + graceMs / 1000;
    const period = ref.pod.spec.terminationGracePeriodSeconds ?? 30;
    return period > neededSeconds
      ? []
      : [`${ref.where}: terminationGracePeriodSeconds ${period} is not above preStop plus SHUTDOWN_GRACE_MS (${neededSeconds} s)`];
  });
}

const natsStatefulSets = (objects: K8sObject[]) =>
  objects.filter(
    (o) => o.kind === "StatefulSet" && (o.spec?.template?.spec?.containers ?? []).some((c: any) => String(c.image).startsWith("nats:")),
  );

/**
 * Production: two or more pods of every service (set, or an autoscaler's minimum), autoscalers and disruption
 * budgets that find their targets, pods spread over nodes and zones, and NATS as a three-node JetStream cluster whose
 * routes name its pods and whose streams keep three replicas.
 */
export function checkProduction(objects: K8sObject[], services: string[]): string[] {
  const problems: string[] = [];
  const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
  const pdbs = objects.filter((o) => o.kind === "PodDisruptionBudget");
  for (const hpa of hpas) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    if (!objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name && namespaceOf(o) === namespaceOf(hpa))) {
      problems.push(`${describe(hpa)}: scales ${ref.kind}/${ref.name}, which is not rendered`);
    }
    if (!(hpa.spec?.minReplicas >= 2)) problems.push(`${describe(hpa)}: minReplicas ${hpa.spec?.minReplicas} is below 2`);
  }
  for (const pdb of pdbs) {
    if (!podsIn(objects, namespaceOf(pdb)).some((pod) => selects(pdb.spec?.selector, pod.labels)))
      problems.push(`${describe(pdb)}: selects no pods`);
  }
  const stateless = objects.filter((o) => o.kind === "Deployment" && services.includes(o.metadata.name));
  for (const workload of [...stateless, ...natsStatefulSets(objects)]) {
    const name = describe(workload);
    const labels = workload.spec?.template?.metadata?.labels ?? {};
    const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.kind === workload.kind && h.spec?.scaleTargetRef?.name === workload.metadata.name);
    const replicas = workload.spec?.replicas;
    if (hpa && replicas !== undefined)
      problems.push(`${name}: sets replicas though ${describe(hpa)} scales it; each apply would undo the autoscaler`);
    if (!hpa && !(replicas >= 2)) problems.push(`${name}: ${replicas ?? 1} replica(s), fewer than 2`);
    if (!pdbs.some((pdb) => selects(pdb.spec?.selector, labels))) problems.push(`${name}: no PodDisruptionBudget`);
    const keys = (workload.spec?.template?.spec?.topologySpreadConstraints ?? []).map((c: any) => c.topologyKey);
    for (const key of ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]) {
      if (!keys.includes(key)) problems.push(`${name}: not spread over ${key}`);
    }
  }
  problems.push(...checkNatsCluster(objects));
  for (const ref of appContainers(objects)) {
    const value = environment(ref, objects).get("JETSTREAM_REPLICAS")?.value;
    if (value !== "3") problems.push(`${ref.where}: JETSTREAM_REPLICAS is ${value ?? "unset (1)"}, not 3`);
  }
  return problems;
}

function checkNatsCluster(objects: K8sObject[]): string[] {
  const sets = natsStatefulSets(objects);
  if (sets.length !== 1) return [`${sets.length} NATS StatefulSets rendered, not 1`];
  const nats = sets[0]!;
  const name = describe(nats);
  const problems = nats.spec?.replicas === 3 ? [] : [`${name}: ${nats.spec?.replicas ?? 1} replica(s), not 3`];
  const configMapName = (nats.spec.template.spec.volumes ?? []).find((v: any) => v.configMap)?.configMap?.name;
  const conf: string = Object.values(objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === configMapName)?.data ?? {}).join(
    "\n",
  );
  const routes = [...conf.matchAll(/nats:\/\/([\w.-]+):6222/g)].map((m) => m[1]).sort();
  const expected = Array.from({ length: 3 }, (_, i) => `${nats.metadata.name}-${i}.${nats.spec.serviceName}`);
  if (JSON.stringify(routes) !== JSON.stringify(expected))
    problems.push(`${name}: cluster routes ${routes.join(", ") || "none"}, not ${expected.join(", ")}`);
  const headless = objects.find((o) => o.kind === "Service" && o.metadata.name === nats.spec.serviceName);
  if (headless?.spec?.clusterIP !== "None" || !headless.spec.publishNotReadyAddresses) {
    problems.push(
      `${name}: Service ${nats.spec.serviceName} is not headless with publishNotReadyAddresses, so routes cannot resolve before the cluster forms`,
    );
  }
  return problems;
}

/** All the checks both overlays must pass, by name, so that a test reports which one failed. */
export function allChecks(
  objects: K8sObject[],
  context: { services: string[]; readNames: Set<string>; operatorSecrets?: string[]; writableRoot?: string[] },
): Record<string, string[]> {
  return {
    servicesDeployed: checkServicesDeployed(objects, context.services),
    containerArgs: checkContainerArgs(objects, context.services),
    ports: checkPorts(objects, context.services),
    envNames: checkEnvNames(objects, context.readNames),
    references: checkReferences(objects, context.operatorSecrets),
    serviceSelectors: checkServiceSelectors(objects),
    networkPolicySelectors: checkNetworkPolicySelectors(objects),
    security: checkSecurity(objects, context.writableRoot),
    serviceLinks: checkServiceLinks(objects),
    gracefulShutdown: checkGracefulShutdown(objects, context.services),
  };
}
