-- Announcements written in the transaction of the change they tell of (a key revoked or rotated, a plan changed),
-- sent by the outbox relay and deleted once NATS has them: see services/shared/outbox.ts.
create table auth.outbox (
  id bigint generated always as identity primary key,
  subject text not null,
  data bytea not null,
  -- The stream's deduplication id; null for an announcement over core NATS.
  message_id text
);
