// The re-seal job (`node dist/services/run.js reseal-secrets`): seals every stored signing secret again under the key
// that seals now, so that an older key can then leave SIGNING_SECRETS_KEYS.
import type { Logger } from "../../shared/logger.js";
import type { KeyCount } from "./secret-box.js";
import type { SubscriptionStore } from "./store.js";

export interface ResealReport {
  /** Subscriptions whose secrets were sealed again (one rotated meanwhile, sealed again in a later pass, counts twice). */
  resealed: number;
  /** Times a subscription was left as it was because its secrets changed while being re-sealed (rotated meanwhile). */
  changed: number;
  /** What other keys still seal once done: nothing, unless a replica still seals under an older key. */
  remaining: KeyCount[];
}

const progressEveryMs = 10_000;

/**
 * Goes through every subscription in batches, each batch one short transaction, so that it can run beside delivery
 * and be stopped and run again at any point: what is done stays done, and a second run finds nothing to do. A secret
 * rotated while it was being re-sealed keeps what the rotation wrote, its previous secret still under the old key:
 * another pass, while passes meet such rotations (at most `passes`), takes those. The keys are checked first, as
 * delivery checks them at start.
 */
export async function resealSecrets(
  store: Pick<SubscriptionStore, "checkKeys" | "resealSecrets" | "countSecretsUnderOlderKeys">,
  logger: Logger,
  { batchSize = 200, passes = 3 } = {},
): Promise<ResealReport> {
  await store.checkKeys();
  const done = { resealed: 0, changed: 0 };
  let lastProgress = Date.now();
  for (let pass = 1, changedInPass = -1; pass <= passes && changedInPass !== 0; pass++) {
    changedInPass = 0;
    let after: string | undefined;
    do {
      const batch = await store.resealSecrets(after, batchSize);
      done.resealed += batch.resealed;
      done.changed += batch.changed;
      changedInPass += batch.changed;
      after = batch.last;
      if (Date.now() - lastProgress >= progressEveryMs) {
        logger.info({ ...done, pass }, "re-sealing signing secrets");
        lastProgress = Date.now();
      }
    } while (after !== undefined);
  }
  const report = { ...done, remaining: await store.countSecretsUnderOlderKeys() };
  if (report.remaining.length > 0) {
    logger.error(
      report,
      "signing secrets remain sealed under older keys: a delivery replica may still seal under one; once every replica has the new keys, run reseal-secrets again",
    );
  } else {
    logger.info(report, "signing secrets re-sealed: none is sealed under an older key");
  }
  return report;
}
