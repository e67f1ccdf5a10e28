-- Retried, signed delivery: subscriptions get a state and signing secrets; each (event, subscription) becomes a
-- delivery that outlives its attempts; what was sent is kept once per event, so that a retry sends the same bytes.

alter table delivery.subscriptions
  add column description text not null default '',
  add column state text not null default 'active' check (state in ('active', 'paused', 'disabled')),
  add column state_reason text not null default '',
  -- Signing needs the secret itself: it cannot be hashed like an API key.
  add column secret text,
  -- The secret replaced by a rotation, still signing until previous_secret_until.
  add column previous_secret text,
  add column previous_secret_until timestamptz,
  -- Failed attempts since the last success: the circuit breaker's count.
  add column consecutive_failures integer not null default 0,
  add column updated_at timestamptz not null default now();

-- Subscriptions made before secrets existed get one: 32 bytes from Postgres's strong random source.
update delivery.subscriptions
set secret = 'whsec_' || encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64');
alter table delivery.subscriptions alter column secret set not null;

-- The webhook body of an event, as every delivery of it sends it.
create table delivery.messages (
  event_id uuid primary key,
  org_id uuid not null,
  body text not null,
  -- The request that published the event, so that every attempt's log line follows it.
  request_id text not null default '',
  created_at timestamptz not null default now()
);

create table delivery.deliveries (
  id uuid primary key,
  org_id uuid not null,
  event_id uuid not null,
  -- The event's type, so that the failure of one of our own operational events makes no further news.
  event_type text not null default '',
  subscription_id uuid not null references delivery.subscriptions (id),
  state text not null default 'pending' check (state in ('pending', 'succeeded', 'failed')),
  attempt_count integer not null default 0,
  -- While pending: when the next attempt is due. A worker taking it moves this past the end of its attempt, so that
  -- a worker that dies leaves it due again; 'infinity' parks it while its subscription is not active.
  next_attempt_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- However often the stream redelivers an event, it makes one delivery per subscription.
  unique (event_id, subscription_id)
);

create index deliveries_due on delivery.deliveries (next_attempt_at) where state = 'pending';
create index deliveries_of_subscription on delivery.deliveries (subscription_id, id);

-- Attempts become the tries of a delivery, many per (event, subscription). Recorded ones become settled
-- deliveries of one attempt; claims that were still in flight carry no body to send again and are dropped.
delete from delivery.attempts where status is null;

insert into delivery.deliveries (id, org_id, event_id, subscription_id, state, attempt_count, created_at, updated_at)
select id, org_id, event_id, subscription_id, status, 1, started_at, started_at from delivery.attempts;

alter table delivery.attempts
  drop constraint attempts_event_id_subscription_id_key,
  drop column lease_until,
  add column delivery_id uuid references delivery.deliveries (id),
  add column number integer not null default 1,
  add column response_body text not null default '',
  add column next_attempt_at timestamptz,
  alter column status set not null;

update delivery.attempts set delivery_id = id;
alter table delivery.attempts alter column delivery_id set not null;

create index attempts_of_delivery on delivery.attempts (delivery_id, number);
create index attempts_of_event on delivery.attempts (event_id);
