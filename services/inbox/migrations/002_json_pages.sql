-- JSON pages rendered by Postgres: a timestamp as protobuf's JSON writes one from millisecond precision,
-- "2026-01-02T03:04:05Z" or "2026-01-02T03:04:05.123Z", so that both ways of serving the inbox agree.
create function inbox.rfc3339(t timestamptz) returns text
language sql immutable parallel safe
as $$
  select replace(to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '.000Z', 'Z')
$$;
