-- Keys of the first format (tk_<id>_<secret>) are no longer accepted: revoked, so that no listing shows them working.
update auth.keys set revoked_at = now() where revoked_at is null;

alter table auth.keys
  add column environment text not null default 'live',
  add column name text not null default '',
  add column scopes text[] not null default '{events:write,events:read,admin}',
  -- CIDR blocks as the auth service normalised them; empty means any address.
  add column allowed_cidrs text[] not null default '{}',
  -- Set when the key is rotated: the end of its grace period.
  add column expires_at timestamptz,
  add column last_used_at timestamptz,
  add column replaced_by text references auth.keys (id);

alter table auth.keys alter column environment drop default, alter column scopes drop default;

-- The keys of an org that still work, newest first, are what listings and the last-admin-key rule read.
create index keys_org_active on auth.keys (org_id, created_at desc) where revoked_at is null;
