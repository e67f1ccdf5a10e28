// The yardstick, never shipped: the one-process events API a team would write instead of Triggers. Fastify,
// postgres.js with a pool of 10, keys looked up in memory, one INSERT per event, an inbox query on one index.
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import postgres from "postgres";
import { announcePort } from "../processes.js";

interface EventBody {
  type?: unknown;
  source?: unknown;
  data?: unknown;
}

const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
const orgOfKey = new Map([[process.env.ALTERNATIVE_KEY!, process.env.ALTERNATIVE_ORG!]]);

await sql`create schema if not exists alternative`;
await sql`
  create table if not exists alternative.events (
    id bigserial primary key, org_id uuid not null, type text not null, source text not null, data jsonb not null,
    received_at timestamptz not null default now(), acked_at timestamptz)`;
await sql`create index if not exists events_pending on alternative.events (org_id, id) where acked_at is null`;

const app = Fastify();

function orgOf(authorization: string | undefined): string | undefined {
  return authorization?.startsWith("Bearer ") ? orgOfKey.get(authorization.slice(7)) : undefined;
}

app.post<{ Body: EventBody }>("/v1/events", async (req, reply) => {
  const org = orgOf(req.headers.authorization);
  if (!org) return reply.code(401).send({ error: "unknown key" });
  const { type, source, data } = req.body ?? {};
  if (typeof type !== "string" || !data || typeof data !== "object") return reply.code(400).send({ error: "type and data are required" });
  const [row] = await sql<{ id: string; received_at: Date }[]>`
    insert into alternative.events (org_id, type, source, data)
    values (${org}, ${type}, ${typeof source === "string" ? source : ""}, ${sql.json(data as never)})
    returning id, received_at`;
  return { id: row!.id, received_at: row!.received_at, status: "accepted" };
});

app.get<{ Querystring: { after?: string } }>("/v1/inbox", async (req, reply) => {
  const org = orgOf(req.headers.authorization);
  if (!org) return reply.code(401).send({ error: "unknown key" });
  const after = req.query.after ?? "0";
  const events = await sql`
    select id, type, source, data, received_at from alternative.events
    where org_id = ${org} and acked_at is null and id > ${after}
    order by id limit 100`;
  return { events };
});

await app.listen({ port: 0, host: "127.0.0.1" });
announcePort((app.server.address() as AddressInfo).port);
