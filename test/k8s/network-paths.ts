// Evaluates rendered NetworkPolicies as Kubernetes does, to ask whether one endpoint may open a connection to another.
import { BlockList, isIPv4 } from "node:net";
import { namespaceOf, podTemplates, selects } from "./objects.js";
import type { K8sObject } from "./render.js";

/** A pod (by its labels and namespace) or an address outside the cluster. */
export type Endpoint =
  | { pod: string; labels: Record<string, string>; namespace: string; namespaceLabels?: Record<string, string> }
  | { address: string };

export interface Connection {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol?: "TCP" | "UDP";
}

/** The rendered pod templates as endpoints, by workload name. */
export function workloadEndpoints(objects: K8sObject[]): Map<string, Endpoint> {
  return new Map(
    podTemplates(objects).map((pod) => [
      pod.object.metadata.name,
      { pod: pod.owner, labels: pod.labels, namespace: pod.namespace, namespaceLabels: { "kubernetes.io/metadata.name": pod.namespace } },
    ]),
  );
}

/**
 * Whether the connection is allowed: the sender's egress and the receiver's ingress must both allow it. A pod that no
 * policy of a direction selects is open in that direction; once one selects it, only what some rule allows passes.
 * Addresses outside the cluster are subject to no policy of ours.
 */
export function allowed(policies: K8sObject[], connection: Connection): boolean {
  const { from, to } = connection;
  return side(policies, from, to, connection, "Egress") && side(policies, to, from, connection, "Ingress");
}

function side(policies: K8sObject[], subject: Endpoint, peer: Endpoint, connection: Connection, direction: "Ingress" | "Egress"): boolean {
  if (!("pod" in subject)) return true;
  const applying = policies.filter(
    (policy) =>
      namespaceOf(policy) === subject.namespace &&
      selects(policy.spec?.podSelector, subject.labels) &&
      policyTypes(policy).includes(direction),
  );
  if (applying.length === 0) return true;
  return applying.some((policy) => {
    const rules: any[] = (direction === "Ingress" ? policy.spec.ingress : policy.spec.egress) ?? [];
    return rules.some((rule) => {
      const peers: any[] | undefined = direction === "Ingress" ? rule.from : rule.to;
      const peerMatches = !peers || peers.length === 0 || peers.some((p) => peerSelects(p, peer, namespaceOf(policy)));
      return peerMatches && portMatches(rule.ports, connection);
    });
  });
}

function policyTypes(policy: K8sObject): string[] {
  if (policy.spec?.policyTypes) return policy.spec.policyTypes;
  // As the API defaults it: Ingress always, Egress when there are egress rules.
  return policy.spec?.egress ? ["Ingress", "Egress"] : ["Ingress"];
}

function peerSelects(peer: any, endpoint: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) return "address" in endpoint && inBlock(peer.ipBlock, endpoint.address);
  if (!("pod" in endpoint)) return false;
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, endpoint.namespaceLabels ?? {})
    : endpoint.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, endpoint.labels) : true;
  return namespaceOk && podOk;
}

function inBlock(block: { cidr: string; except?: string[] }, address: string): boolean {
  const family = isIPv4(address) ? "ipv4" : "ipv6";
  const list = (cidrs: string[]) => {
    const blocks = new BlockList();
    for (const cidr of cidrs) {
      const [network, prefix] = cidr.split("/");
      if (isIPv4(network!) === (family === "ipv4")) blocks.addSubnet(network!, Number(prefix), family);
    }
    return blocks;
  };
  return list([block.cidr]).check(address, family) && !list(block.except ?? []).check(address, family);
}

function portMatches(ports: any[] | undefined, connection: Connection): boolean {
  if (!ports || ports.length === 0) return true;
  const protocol = connection.protocol ?? "TCP";
  return ports.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === connection.port));
}
