-- A replay of the events stream must not bring back an event deleted while the replay was storing it. The replay's
-- insert looks for tombstones in its statement's snapshot, taken when the statement began. A delete that commits after
-- that moment (the insert waiting meanwhile for the positions' lock, or for the delete itself, whose row keeps the
-- primary key taken until the delete commits) leaves a tombstone the insert cannot see and the key free, and the event
-- would be stored again. As the key stays taken until the delete commits, such an insert always comes after the
-- delete's commit, tombstone included. This function, which the insert's statement calls with the ids it stored,
-- reads the tombstones again with a snapshot of its own (a volatile function takes a new one for each query it runs)
-- and refuses the whole statement when one of those ids has one: nothing of it is stored, and the store tries it
-- again, with a snapshot that sees the tombstone.
create function inbox.refuse_deleted(ids uuid[]) returns void
language plpgsql volatile
as $$
begin
  if exists (select from inbox.deleted_events where event_id = any(ids)) then
    raise exception using errcode = 'serialization_failure', message = 'an event was deleted while it was being stored again';
  end if;
end
$$;
