// The delivery service's subscriptions in Postgres: what an org asks for, and the state deliveries leave them in.
import type { BeforeCommit, Sql, Transaction } from "../../shared/database.js";
import { type OutboxMessage, writeOutbox } from "../../shared/outbox.js";
import { firstKeyId, isSealed, type KeyCount, missingKeys, type SecretBox, sealedFormats } from "./secret-box.js";

export type SubscriptionState = "active" | "paused" | "disabled";

export interface SubscriptionRow {
  id: string;
  org_id: string;
  url: string;
  description: string;
  event_types: string[];
  state: SubscriptionState;
  state_reason: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewSubscription {
  id: string;
  orgId: string;
  url: string;
  eventTypes: string[];
  description: string;
  secret: string;
}

/** What an org may change; absent fields stay as they are. */
export interface SubscriptionChanges {
  url?: string;
  eventTypes?: string[];
  description?: string;
  enabled?: boolean;
}

const columns = [
  "id",
  "org_id",
  "url",
  "description",
  "event_types",
  "state",
  "state_reason",
  "secret",
  "previous_secret",
  "previous_secret_until",
  "created_at",
  "updated_at",
] as const;

export const disabledByOrg = "disabled by the org";

/** Signing secrets are sealed as they are written and opened as they are read: nothing else sees them sealed. */
export function createSubscriptionStore(sql: Sql, box: SecretBox) {
  const open = (row: SubscriptionRow): SubscriptionRow => ({
    ...row,
    secret: box.open(row.id, row.secret),
    previous_secret: row.previous_secret && box.open(row.id, row.previous_secret),
  });
  // The id of the key a column's secret is sealed under, as keyIdOf reads it in secret-box.ts; null when it is plain.
  const keyIdIn = (column: "secret" | "previous_secret") => sql`
    case when ${sql(column)} like ${`${sealedFormats.v1}%`} then ${firstKeyId}::text
         when ${sql(column)} like ${`${sealedFormats.v2}%:%`} then split_part(${sql(column)}, ':', 2) end`;
  // How many secrets, current and previous, each key seals, deleted subscriptions' included: all must stay readable.
  const countSecretsByKey = () => sql<KeyCount[]>`
    select key_id as "keyId", count(*)::int as count from (
      select ${keyIdIn("secret")} as key_id from delivery.subscriptions
      union all
      select ${keyIdIn("previous_secret")} from delivery.subscriptions where previous_secret is not null) held
    where key_id is not null
    group by key_id order by key_id`;
  /**
   * Makes sure the keys open what is stored, so that a wrong or missing key stops the service (or the re-seal job)
   * at start rather than failing deliveries: a ConfigError naming how many secrets need which key when a key that
   * sealed some is not held, and UnreadableSecret when a key held does not open one of the secrets it sealed.
   */
  const checkKeys = async (): Promise<void> => {
    const held = await countSecretsByKey();
    const missing = held.filter(({ keyId }) => !box.holds(keyId));
    if (missing.length > 0) throw missingKeys(missing);
    for (const { keyId } of held) {
      const [sample] = await sql<{ id: string; stored: string }[]>`
        (select id, secret as stored from delivery.subscriptions where ${keyIdIn("secret")} = ${keyId} limit 1)
        union all
        (select id, previous_secret from delivery.subscriptions where ${keyIdIn("previous_secret")} = ${keyId} limit 1)
        limit 1`;
      if (sample) box.open(sample.id, sample.stored);
    }
  };
  return {
    checkKeys,

    /**
     * Run at start: checks the keys (see checkKeys), then seals the secrets stored in plain text before sealing
     * existed. Returns how many subscriptions it sealed.
     */
    async prepareSecrets(): Promise<number> {
      await checkKeys();
      return sql.begin(async (tx) => {
        const rows = await tx<Pick<SubscriptionRow, "id" | "secret" | "previous_secret">[]>`
          select id, secret, previous_secret from delivery.subscriptions
          where ${keyIdIn("secret")} is null or (previous_secret is not null and ${keyIdIn("previous_secret")} is null)
          for update`;
        for (const row of rows) {
          const seal = (secret: string | null) => (secret === null || isSealed(secret) ? secret : box.seal(row.id, secret));
          await tx`
            update delivery.subscriptions set secret = ${seal(row.secret)}, previous_secret = ${seal(row.previous_secret)}
            where id = ${row.id}`;
        }
        return rows.length;
      });
    },

    /** How many stored secrets each key other than the one that seals holds: what re-sealing has yet to move. */
    async countSecretsUnderOlderKeys(): Promise<KeyCount[]> {
      return (await countSecretsByKey()).filter(({ keyId }) => keyId !== box.sealingKeyId);
    },

    /**
     * Seals again, under the key that seals now, the secrets (current and previous) of up to `limit` subscriptions
     * after `after` in id order that another key sealed, or none. Safe beside running replicas: a row is written only
     * if it still holds what was read, so that a secret rotated meanwhile is left as its rotation wrote it, and
     * counted as changed. Returns the last subscription looked at, none when none was left.
     */
    async resealSecrets(after: string | undefined, limit: number): Promise<{ last?: string; resealed: number; changed: number }> {
      const sealing = box.sealingKeyId;
      const rows = await sql<Pick<SubscriptionRow, "id" | "secret" | "previous_secret">[]>`
        select id, secret, previous_secret from delivery.subscriptions
        where id > ${after ?? "00000000-0000-0000-0000-000000000000"}
          and (${keyIdIn("secret")} is distinct from ${sealing}
               or (previous_secret is not null and ${keyIdIn("previous_secret")} is distinct from ${sealing}))
        order by id limit ${limit}`;
      const resealed = rows.map((row) => {
        const reseal = (stored: string | null) =>
          stored === null || box.sealsNow(stored) ? stored : box.seal(row.id, box.open(row.id, stored));
        return { row, secret: reseal(row.secret), previousSecret: reseal(row.previous_secret) };
      });
      let written = 0;
      if (rows.length > 0)
        await sql.begin(async (tx) => {
          for (const { row, secret, previousSecret } of resealed) {
            const result = await tx`
            update delivery.subscriptions set secret = ${secret}, previous_secret = ${previousSecret}
            where id = ${row.id} and secret = ${row.secret} and previous_secret is not distinct from ${row.previous_secret}`;
            written += result.count;
          }
        });
      return { last: rows.at(-1)?.id, resealed: written, changed: rows.length - written };
    },

    async createSubscription(sub: NewSubscription, beforeCommit: BeforeCommit<SubscriptionRow>): Promise<SubscriptionRow> {
      return sql.begin(async (tx) => {
        const [row] = await tx<SubscriptionRow[]>`
          insert into delivery.subscriptions (id, org_id, url, event_types, description, secret)
          values (${sub.id}, ${sub.orgId}, ${sub.url}, ${sub.eventTypes}, ${sub.description}, ${box.seal(sub.id, sub.secret)})
          returning ${tx(columns)}`;
        await beforeCommit(open(row!));
        return open(row!);
      });
    },

    /** The org's subscriptions that are not deleted, in creation order. */
    async listSubscriptions(orgId: string): Promise<SubscriptionRow[]> {
      const rows = await sql<SubscriptionRow[]>`
        select ${sql(columns)} from delivery.subscriptions
        where org_id = ${orgId} and deleted_at is null
        order by created_at, id`;
      return rows.map(open);
    },

    async getSubscription(orgId: string, id: string): Promise<SubscriptionRow | undefined> {
      const [row] = await sql<SubscriptionRow[]>`
        select ${sql(columns)} from delivery.subscriptions
        where id = ${id} and org_id = ${orgId} and deleted_at is null`;
      return row && open(row);
    },

    /**
     * Applies the changes; enabling makes the subscription active and its parked deliveries due at once, disabling
     * parks them. Undefined when the org has no such subscription.
     */
    updateSubscription(
      orgId: string,
      id: string,
      changes: SubscriptionChanges,
      beforeCommit: BeforeCommit<SubscriptionRow>,
    ): Promise<SubscriptionRow | undefined> {
      const { url, eventTypes, description, enabled } = changes;
      const state = enabled === undefined ? null : enabled ? "active" : "disabled";
      return sql.begin(async (tx) => {
        const [row] = await tx<SubscriptionRow[]>`
          update delivery.subscriptions set
            url = coalesce(${url ?? null}, url),
            event_types = coalesce(${eventTypes ?? null}::text[], event_types),
            description = coalesce(${description ?? null}, description),
            state = coalesce(${state}, state),
            state_reason = case when ${state}::text is null then state_reason when ${state} = 'active' then '' else ${disabledByOrg} end,
            consecutive_failures = case when ${state} = 'active' then 0 else consecutive_failures end,
            updated_at = now()
          where id = ${id} and org_id = ${orgId} and deleted_at is null
          returning ${tx(columns)}`;
        if (!row) return undefined;
        if (state) await parkOrResume(tx, [id]);
        await beforeCommit(open(row));
        return open(row);
      });
    },

    /** False when the org has no live subscription of that id. Its pending deliveries are parked. */
    async deleteSubscription(orgId: string, id: string, beforeCommit: BeforeCommit<SubscriptionRow>): Promise<boolean> {
      return sql.begin(async (tx) => {
        const [row] = await tx<SubscriptionRow[]>`
          update delivery.subscriptions set deleted_at = now(), updated_at = now()
          where id = ${id} and org_id = ${orgId} and deleted_at is null
          returning ${tx(columns)}`;
        if (!row) return false;
        await parkOrResume(tx, [id]);
        await beforeCommit(open(row));
        return true;
      });
    },

    /** Replaces the secret; the old one keeps signing for keepMs. */
    async rotateSecret(
      orgId: string,
      id: string,
      rotation: { secret: string; keepMs: number },
      beforeCommit: BeforeCommit<SubscriptionRow>,
    ): Promise<SubscriptionRow | undefined> {
      return sql.begin(async (tx) => {
        const [row] = await tx<SubscriptionRow[]>`
          update delivery.subscriptions set
            previous_secret = secret,
            previous_secret_until = now() + make_interval(secs => ${rotation.keepMs / 1000}),
            secret = ${box.seal(id, rotation.secret)},
            updated_at = now()
          where id = ${id} and org_id = ${orgId} and deleted_at is null
          returning ${tx(columns)}`;
        if (!row) return undefined;
        await beforeCommit(open(row));
        return open(row);
      });
    },

    /**
     * Stops active subscriptions whose endpoint said 410 Gone (disabled) or that failed too often in a row (paused),
     * parking their deliveries. Returns those whose state changed.
     */
    stopSubscriptions(
      gone: string[],
      failing: string[],
      messagesOf: (stopped: SubscriptionRow[]) => OutboxMessage[],
    ): Promise<SubscriptionRow[]> {
      return sql.begin(async (tx): Promise<SubscriptionRow[]> => {
        const changed = await tx<SubscriptionRow[]>`
          update delivery.subscriptions set
            state = case when id = any(${gone}::uuid[]) then 'disabled' else 'paused' end,
            state_reason = case when id = any(${gone}::uuid[]) then 'the endpoint answered 410 Gone'
                                else consecutive_failures || ' failed attempts in a row' end,
            updated_at = now()
          where id = any(${[...gone, ...failing]}::uuid[]) and state = 'active'
          returning ${tx(columns)}`;
        if (changed.length === 0) return [];
        await parkOrResume(
          tx,
          changed.map((row) => row.id),
        );
        const stopped = changed.map(open);
        await writeOutbox(tx, "delivery", messagesOf(stopped));
        return stopped;
      });
    },
  };
}

/**
 * A pending delivery is due only while its subscription is active: otherwise it is parked ('infinity'), so that the
 * search for due deliveries never wades through a paused subscription's pile. Resuming makes the pile due at once.
 */
async function parkOrResume(tx: Transaction, subscriptionIds: string[]): Promise<void> {
  await tx`
    update delivery.deliveries d set next_attempt_at = case when s.state = 'active' and s.deleted_at is null then now() else 'infinity' end
    from delivery.subscriptions s
    where s.id = d.subscription_id and d.subscription_id = any(${subscriptionIds}::uuid[]) and d.state = 'pending'
      and (d.next_attempt_at = 'infinity') = (s.state = 'active' and s.deleted_at is null)`;
}

export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>;
