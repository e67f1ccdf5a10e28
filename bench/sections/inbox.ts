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
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    step(`inbox: storing ${plan.inboxEvents.toLocaleString("en")} events in each store`);
    await seedStack(sql, stack.orgId, plan.inboxEvents);
    await seedAlternative(sql, alternative.orgId, plan.inboxEvents);
    const half = Math.floor(plan.inboxEvents / 2);
    const [stackMiddle] = await sql<{ position: string }[]>`
      select position::text from inbox.events where org_id = ${stack.orgId} and acked_at is null order by position offset ${half} limit 1`;
    const [alternativeMiddle] = await sql<{ id: string }[]>`
      select id from alternative.events where org_id = ${alternative.orgId} and acked_at is null order by id offset ${half} limit 1`;
    const stored = (await sql<{ n: number }[]>`select count(*)::int as n from inbox.events where org_id = ${stack.orgId}`)[0]!.n;

    step("inbox: the first page");
    const firstPage = await page(stack, "limit=100", plan);
    step("inbox: a page half-way down");
    const deepPage = await page(stack, `limit=100&cursor=${encodeSequenceCursor(stackMiddle!.position, "asc")}`, plan);
    step("inbox: the alternative's first page and one half-way down");
    const alternativeFirstPage = await page(alternative, "", plan);
    const alternativeDeepPage = await page(alternative, `after=${alternativeMiddle!.id}`, plan);
    return { stored, firstPage, deepPage, alternativeFirstPage, alternativeDeepPage };
  } finally {
    await sql.end();
  }
}

function page(target: Target, query: string, plan: Plan): Promise<LoadResult> {
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
