-- Listing the inbox by filters, newest or oldest first, with cursors that never skip an event, and leases.

-- Where each event stands in the inbox, in the order events were stored: pages are ordered by it. Writers of
-- events take inbox.lock_positions() before numbering them and hold it until they commit, so positions become
-- visible in order: an event stored later always sorts after every event a reader has already seen, and a cursor
-- never skips one. Ids cannot do this: ingest mints them before the stream, and events reach the inbox out of id
-- order (two ingest replicas, a slow write).
create sequence inbox.event_positions;
alter table inbox.events add column position bigint;
update inbox.events set position = numbered.n
from (select id, row_number() over (order by id) as n from inbox.events) as numbered
where numbered.id = events.id;
select setval('inbox.event_positions', coalesce((select max(position) from inbox.events), 0) + 1, false);
alter table inbox.events alter column position set default nextval('inbox.event_positions'), alter column position set not null;

create function inbox.lock_positions() returns void
language sql volatile
as $$ select pg_advisory_xact_lock(hashtext('inbox.event_positions')) $$;

-- How the event's deliveries ended, copied from inbox.delivery_statuses so that it can be indexed with the event.
alter table inbox.events add column delivery_status text check (delivery_status in ('delivered', 'failed'));
update inbox.events e set delivery_status = s.status from inbox.delivery_statuses s where s.event_id = e.id;

-- Until when a consumer that listed the event with a lease holds it; hidden from other leasing consumers until then.
alter table inbox.events add column leased_until timestamptz;

-- One index per filter, each ending in the page order, so that a page is read in order and stops at its limit.
drop index inbox.events_pending;
create index events_pending on inbox.events (org_id, position) where acked_at is null;
create index events_acked on inbox.events (org_id, position) where acked_at is not null;
create index events_by_delivery_status on inbox.events (org_id, delivery_status, position) where delivery_status is not null;
-- text_pattern_ops serves a type prefix (order.*) as well as an exact type.
create index events_by_type on inbox.events (org_id, type text_pattern_ops, position);
create index events_by_source on inbox.events (org_id, source, position);
-- Positions follow arrival in the inbox, not received_at: a time range becomes a range of positions, read from here.
create index events_by_received_at on inbox.events (org_id, received_at) include (position);

-- Rendering functions are inlined into the page's query only when declared no less volatile than what they call:
-- to_char is stable. Called once per row instead, they took half the time of a page.
alter function inbox.rfc3339(timestamptz) stable;

-- An event as the API's JSON writes it, for pages rendered by Postgres: proto field names, timestamps as
-- inbox.rfc3339 writes them, and acked_at and delivery_status only when set, as protobuf's JSON leaves them out.
create function inbox.event_json(
  id uuid, type text, source text, data jsonb, occurred_at timestamptz, received_at timestamptz,
  acked_at timestamptz, delivery_status text
) returns jsonb
language sql stable parallel safe
as $$
  select jsonb_build_object(
      'id', id, 'type', type, 'source', source, 'data', data,
      'occurred_at', inbox.rfc3339(occurred_at), 'received_at', inbox.rfc3339(received_at))
    || case when acked_at is null then '{}'::jsonb else jsonb_build_object('acked_at', inbox.rfc3339(acked_at)) end
    || case when delivery_status is null then '{}'::jsonb
            else jsonb_build_object('delivery_status', 'EVENT_DELIVERY_STATUS_' || upper(delivery_status)) end
$$;

-- Deleted events, so that the stream, which may bring one again (a consumer reset, a crash before its ack), never
-- puts it back.
create table inbox.deleted_events (
  event_id uuid primary key,
  org_id uuid not null,
  deleted_at timestamptz not null default now()
);
