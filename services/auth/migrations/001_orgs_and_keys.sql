create table auth.orgs (
  id uuid primary key,
  name text not null,
  created_at timestamptz not null default now()
);

-- Only a hash of each key's secret is kept; the key id is public and finds the row.
create table auth.keys (
  id text primary key,
  org_id uuid not null references auth.orgs (id),
  secret_hash text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create index keys_org_id on auth.keys (org_id);
