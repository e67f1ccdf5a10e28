-- An event as the API's JSON writes it, as text, for pages rendered by Postgres. inbox.event_json built jsonb: it
-- copied each event's data into a new jsonb value, concatenated two more, and the page's json_agg then wrote them
-- all out again and sorted them, in a 100 KB aggregate whose memory the server gave back to the system and faulted
-- in again on every page. That took 5 of a page's 6 ms of Postgres CPU; this writes each event's text once, in the
-- proto field order Connect writes. Each argument appears once, so that the function is inlined into the page's query
-- even when an argument is a subquery. data is written as jsonb writes it, with spaces, which the service removes.
-- inbox.event_json is no longer called; a later release drops it, once no release before this one runs.
create function inbox.event_json_text(
  id uuid, type text, source text, data jsonb, occurred_at timestamptz, received_at timestamptz,
  acked_at timestamptz, delivery_status text
) returns text
language sql stable parallel safe
as $$
  select '{"id":"' || id || '","type":' || to_json(type) || ',"source":' || to_json(source) || ',"data":' || data
    || ',"occurred_at":"' || inbox.rfc3339(occurred_at) || '","received_at":"' || inbox.rfc3339(received_at) || '"'
    || coalesce(',"acked_at":"' || inbox.rfc3339(acked_at) || '"', '')
    || coalesce(',"delivery_status":"EVENT_DELIVERY_STATUS_' || upper(delivery_status) || '"', '')
    || '}'
$$;
