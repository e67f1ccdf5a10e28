-- Messages written in the transaction of the change they tell of (dead letters, delivery outcomes, operational
-- events), sent by the outbox relay and deleted once NATS has them: see services/shared/outbox.ts.
create table delivery.outbox (
  id bigint generated always as identity primary key,
  subject text not null,
  data bytea not null,
  -- The stream's deduplication id; null for an announcement over core NATS.
  message_id text
);
