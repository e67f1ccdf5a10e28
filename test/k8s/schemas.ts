// Validates rendered objects against the Kubernetes API's schemas, offline, with kubernetes-models.
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { describe } from "./objects.js";
import type { K8sObject } from "./render.js";

interface Model {
  validate(): void;
}

/** The kinds the manifests may use, by apiVersion and kind; anything else has no schema here and is refused. */
export const MODELS: Record<string, new (data: any) => Model> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "v1/Namespace": Namespace,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
};

/**
 * Problems the schemas find: wrong types, missing required fields, values outside an enum. Fields unknown to the
 * schema pass, as the API's own OpenAPI schemas leave them open: the cross-checks read the fields that matter.
 */
export function schemaProblems(objects: K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!Model) return [`${describe(object)}: no schema for ${object.apiVersion} ${object.kind} (add it to MODELS in test/k8s/schemas.ts)`];
    try {
      new Model(object).validate();
      return [];
    } catch (err) {
      return [`${describe(object)}: ${(err as Error).message}`];
    }
  });
}
