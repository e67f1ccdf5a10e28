-- Each org's plan and the events a minute it allows (the plan's, or a custom plan's own). Existing orgs start free.
alter table auth.orgs
  add column plan text not null default 'free',
  add column events_per_minute integer not null default 100;

alter table auth.orgs alter column plan drop default, alter column events_per_minute drop default;
