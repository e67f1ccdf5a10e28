-- Each org's settings for its inbox; an org without a row has the defaults.
create table inbox.org_settings (
  org_id uuid primary key,
  -- At least as long as the events stream keeps events, so that no copy of an event outlives the org's retention.
  retention_days int not null check (retention_days between 7 and 365),
  updated_at timestamptz not null default now()
);
