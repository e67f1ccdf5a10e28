-- How each event's deliveries ended, as the delivery service tells it over the delivery outcomes stream. A table of
-- its own: an outcome can arrive before the event itself has been projected.
create table inbox.delivery_statuses (
  event_id uuid primary key,
  org_id uuid not null,
  status text not null check (status in ('delivered', 'failed')),
  -- A later outcome (after a replay) replaces an earlier one, whatever order they arrive in.
  settled_at timestamptz not null
);
