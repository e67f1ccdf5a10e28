-- An event's delivery status lives only in inbox.delivery_statuses, with the event's position for the status filter:
-- copying it onto the event rewrote a wide row and every index of it once per event (about 1.8 KB of WAL each).
-- Pages join their events' statuses. inbox.events.delivery_status is no longer written or read; a later release
-- drops it, once no release before this one runs.
alter table inbox.delivery_statuses add column position bigint;
update inbox.delivery_statuses s set position = e.position from inbox.events e where e.id = s.event_id;
-- One index per filter, ending in the page order, as the events' own (004).
create index delivery_statuses_by_status on inbox.delivery_statuses (org_id, status, position) where position is not null;
drop index inbox.events_by_delivery_status;
