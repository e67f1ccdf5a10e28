-- The inbox's copy of every accepted event; the id is the event's, so a redelivered message cannot add a row.
create table inbox.events (
  id uuid primary key,
  org_id uuid not null,
  type text not null,
  source text not null,
  data jsonb not null,
  occurred_at timestamptz not null,
  received_at timestamptz not null,
  acked_at timestamptz
);

-- The default inbox view: an org's pending events in id (arrival) order.
create index events_pending on inbox.events (org_id, id) where acked_at is null;
