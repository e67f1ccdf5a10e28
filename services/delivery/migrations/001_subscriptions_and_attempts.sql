-- Where an org's events are pushed. Deleting a subscription stamps deleted_at: its attempts keep pointing at it.
create table delivery.subscriptions (
  id uuid primary key,
  org_id uuid not null,
  url text not null,
  -- Empty means every type.
  event_types text[] not null default '{}',
  created_at timestamptz not null default now(),
  deleted_at timestamptz
);

-- Every event looks up its org's live subscriptions; listing reads them in creation order.
create index subscriptions_live_by_org on delivery.subscriptions (org_id, created_at, id) where deleted_at is null;

-- One row per (event, subscription): the row is claimed before the POST and completed after it.
create table delivery.attempts (
  id uuid primary key,
  org_id uuid not null,
  event_id uuid not null,
  subscription_id uuid not null references delivery.subscriptions (id),
  url text not null,
  -- Null while the POST is in flight.
  status text check (status in ('succeeded', 'failed')),
  response_status integer not null default 0,
  error text not null default '',
  started_at timestamptz not null,
  duration_ms integer not null default 0,
  -- Until when an in-flight claim holds; a worker that died leaves a claim another may take over after it.
  lease_until timestamptz,
  -- The guarantee that an event is POSTed to a subscription once, whatever the redeliveries.
  unique (event_id, subscription_id)
);
