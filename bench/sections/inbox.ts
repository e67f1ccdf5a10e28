// The inbox: many events stored for the org (written straight into both stores: posting them would take an hour),
// then a 100-event page read by 4 clients, at the head and half-way down.
import postgres from "postgres";
import { encodeSequenceCursor } from "../../services/shared/cursor.js";
import { eventData } from "../event-body.js";
import { type LoadResult, runLoad } from "../load.js";
import { inboxClients, type Plan } from "../plan.js";
import type { Target } from "./ingest.js";

export interface InboxFigures {
  stored: number;
  firstPage: LoadResult;
  deepPage: LoadResult;
  alternativeFirstPage: LoadResult;
  alternativeDeepPage: LoadResult;
}

export interface InboxTarget extends Target {
  orgId: string;
}

export async function measureInbox(
  plan: Plan,
  databaseUrl: string,
  stack: InboxTarget,
  alternative: InboxTarget,
  step: (what: string) => void,
): Promise<InboxFigures> {
  step(`inbox: storing ${plan.inboxEvents.toLocaleString("en")} events in each store`);
  const { stored, deepCursor } = await seedInbox(plan, databaseUrl, stack.orgId);
  const alternativeDeep = await seedAlternativeInbox(plan, databaseUrl, alternative.orgId);
  const queries = pageQueries(deepCursor);
  step("inbox: the first page");
  const firstPage = await readPages(stack, queries.first, plan);
  step("inbox: a page half-way down");
  const deepPage = await readPages(stack, queries.deep, plan);
  step("inbox: the alternative's first page and one half-way down");
  const alternativeFirstPage = await readPages(alternative, "", plan);
  const alternativeDeepPage = await readPages(alternative, `after=${alternativeDeep}`, plan);
  return { stored, firstPage, deepPage, alternativeFirstPage, alternativeDeepPage };
}

/** Stores the plan's events in the stack's inbox for the org: how many it then holds, and the cursor half-way down. */
export async function seedInbox(plan: Plan, databaseUrl: string, orgId: string): Promise<{ stored: number; deepCursor: string }> {
  return withSql(databaseUrl, async (sql) => {
    await seedStack(sql, orgId, plan.inboxEvents);
    const [middle] = await sql<{ position: string }[]>`
      select position::text from inbox.events where org_id = ${orgId} and acked_at is null
      order by position offset ${Math.floor(plan.inboxEvents / 2)} limit 1`;
    const stored = (await sql<{ n: number }[]>`select count(*)::int as n from inbox.events where org_id = ${orgId}`)[0]!.n;
    return { stored, deepCursor: encodeSequenceCursor(middle!.position, "asc") };
  });
}

/** The same for the alternative: its id half-way down, where its deep page starts. */
async function seedAlternativeInbox(plan: Plan, databaseUrl: string, orgId: string): Promise<string> {
  return withSql(databaseUrl, async (sql) => {
    await seedAlternative(sql, orgId, plan.inboxEvents);
    const [middle] = await sql<{ id: string }[]>`
      select id from alternative.events where org_id = ${orgId} and acked_at is null
      order by id offset ${Math.floor(plan.inboxEvents / 2)} limit 1`;
    return middle!.id;
  });
}

async function withSql<T>(databaseUrl: string, use: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    return await use(sql);
  } finally {
    await sql.end();
  }
}

/** The stack's two pages: its first, and the one half-way down the seeded events. */
export function pageQueries(deepCursor: string): { first: string; deep: string } {
  return { first: "limit=100", deep: `limit=100&cursor=${deepCursor}` };
}

/** 100-event pages read by the plan's clients for the inbox's seconds. */
export function readPages(target: Target, query: string, plan: Plan): Promise<LoadResult> {
  return runLoad({
    url: `${target.url}/v1/inbox?${query}`,
    headers: { authorization: `Bearer ${target.key}` },
    connections: inboxClients,
    durationSeconds: plan.inboxSeconds,
  });
}

// Time-ordered UUIDv7-shaped ids from a year ago, so that the stored events come before the ones the bench posted.
async function seedStack(sql: postgres.Sql, orgId: string, count: number): Promise<void> {
  const fromMs = Date.now() - 365 * 24 * 3600 * 1000;
  await sql`
    insert into inbox.events (id, org_id, type, source, data, occurred_at, received_at)
    select (lpad(to_hex(${fromMs}::bigint + i), 12, '0') || '7' || substr(md5(i::text), 1, 3) || '8' || substr(md5(i::text), 4, 15))::uuid,
           ${orgId}, 'order.created', 'bench', ${sql.json(eventData)},
           to_timestamp((${fromMs}::bigint + i) / 1000.0), to_timestamp((${fromMs}::bigint + i) / 1000.0)
    from generate_series(1, ${count}) as i`;
  await sql`analyze inbox.events`;
}

async function seedAlternative(sql: postgres.Sql, orgId: string, count: number): Promise<void> {
  await sql`
    insert into alternative.events (org_id, type, source, data)
    select ${orgId}, 'order.created', 'bench', ${sql.json(eventData)} from generate_series(1, ${count})`;
  await sql`analyze alternative.events`;
}
