-- Deleted events: their pending deliveries are cancelled, and a delivery of theirs is never created later (the
-- stream may still bring the event, when delivery reads it after the deletion).
create table delivery.cancelled_events (
  event_id uuid primary key,
  org_id uuid not null,
  cancelled_at timestamptz not null default now()
);

alter table delivery.deliveries drop constraint deliveries_state_check;
alter table delivery.deliveries add constraint deliveries_state_check check (state in ('pending', 'succeeded', 'failed', 'cancelled'));
