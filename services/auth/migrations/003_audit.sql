-- The audit log, as auth reads it from the AUDIT stream. No foreign key to orgs: an org's first entry is
-- written before the org's row commits, and may be read before it.
create table auth.audit_entries (
  id uuid primary key,
  org_id uuid not null,
  action text not null,
  resource text not null,
  resource_id text not null,
  key_id text not null,
  client_address text not null,
  request_id text not null,
  at timestamptz not null,
  details jsonb not null
);

create index audit_entries_by_org on auth.audit_entries (org_id, id desc);
