-- guichet's PostgreSQL schema, version 1: the same records as the sled store, one
-- table per tree. Records are JSON text (KPI facts: postcard bytes), read and written
-- by guichet only; the columns beside them are what the queries select and order by.
-- Times are microseconds since 1970-01-01 UTC (KPI times: milliseconds), text keys
-- compare byte by byte (COLLATE "C"), as sled's keys do.

CREATE TABLE settings (
    key text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

-- Counters kept by the transactions that change what they count: a tenant's
-- plugin storage keys, a shadow run's verdicts, the outbox's backlog (in shards),
-- the next number of a plugin's versions and of an adapter's refusal slots.
CREATE TABLE counters (
    key text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);

-- A tenant's last sequence number: taken under this row's lock, so that a tenant's
-- events are committed in the order of their numbers.
CREATE TABLE tenant_seqs (
    tenant text COLLATE "C" PRIMARY KEY,
    seq bigint NOT NULL
);

CREATE TABLE tenants (
    id text COLLATE "C" PRIMARY KEY,
    body text NOT NULL
);

CREATE TABLE tokens (
    id text COLLATE "C" PRIMARY KEY,
    tenant text COLLATE "C" NOT NULL,
    body text NOT NULL
);
CREATE INDEX tokens_by_tenant ON tokens (tenant, id);

CREATE TABLE components (
    sha256 text COLLATE "C" PRIMARY KEY,
    bytes bytea NOT NULL
);

CREATE TABLE plugins (
    tenant text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    inbound_address text COLLATE "C" UNIQUE,
    body text NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE TABLE plugin_versions (
    tenant text COLLATE "C" NOT NULL,
    plugin text COLLATE "C" NOT NULL,
    number bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, plugin, number)
);

CREATE TABLE shadow_diffs (
    tenant text COLLATE "C" NOT NULL,
    shadow text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    n integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, shadow, seq, n)
);

-- A timer's first firing waiting for its second (see ShadowRecord::pair).
CREATE TABLE shadow_pairs (
    tenant text COLLATE "C" NOT NULL,
    shadow text COLLATE "C" NOT NULL,
    pair text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    n integer NOT NULL,
    PRIMARY KEY (tenant, shadow, pair)
);

CREATE TABLE plugin_storage (
    tenant text COLLATE "C" NOT NULL,
    plugin text COLLATE "C" NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (tenant, plugin, key)
);

-- Events waiting to be processed. `lane` is the ticket id ('' for a tick): a
-- worker takes an event only when no earlier one of its lane is pending. `worker`
-- is the worker that holds it; a worker that stops holding its heartbeat loses its
-- events to the others.
CREATE TABLE pending (
    tenant text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    lane text COLLATE "C" NOT NULL,
    worker text COLLATE "C",
    body text NOT NULL,
    PRIMARY KEY (tenant, seq)
);
CREATE INDEX pending_by_lane ON pending (tenant, lane, seq);
CREATE INDEX pending_by_worker ON pending (worker);

CREATE TABLE workers (
    id text COLLATE "C" PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL
);

CREATE TABLE event_ids (
    tenant text COLLATE "C" NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (tenant, event_id)
);

-- Idempotency keys of the API, and inbound delivery ids (`\x01inbound/<adapter>/<id>`).
CREATE TABLE idempotency (
    tenant text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE TABLE event_log (
    tenant text COLLATE "C" NOT NULL,
    received_at bigint NOT NULL,
    seq bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, received_at, seq)
);

CREATE TABLE links (
    tenant text COLLATE "C" NOT NULL,
    adapter text COLLATE "C" NOT NULL,
    conversation text COLLATE "C" NOT NULL,
    ticket text NOT NULL,
    PRIMARY KEY (tenant, adapter, conversation)
);

CREATE TABLE inbound_refusals (
    tenant text COLLATE "C" NOT NULL,
    adapter text COLLATE "C" NOT NULL,
    slot bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, adapter, slot)
);

CREATE TABLE tickets (
    tenant text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX tickets_by_created ON tickets (tenant, created_at, id);

-- One row per identity of the requester of an open ticket (email lower-cased).
CREATE TABLE open_identities (
    tenant text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    value text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    ticket text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, kind, value, created_at, ticket)
);
CREATE INDEX open_identities_by_ticket ON open_identities (tenant, ticket);

CREATE TABLE audit (
    tenant text COLLATE "C" NOT NULL,
    ticket text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    n integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, ticket, seq, n)
);

CREATE TABLE timers (
    tenant text COLLATE "C" NOT NULL,
    ticket text COLLATE "C" NOT NULL,
    plugin text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    due_at bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, ticket, plugin, name)
);
CREATE INDEX timers_by_due ON timers (due_at, tenant, ticket, plugin, name);

CREATE TABLE schedule_marks (
    tenant text COLLATE "C" NOT NULL,
    plugin text COLLATE "C" NOT NULL,
    schedule text COLLATE "C" NOT NULL,
    mark bigint NOT NULL,
    PRIMARY KEY (tenant, plugin, schedule)
);

CREATE TABLE webhooks (
    tenant text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE TABLE outbox (
    tenant text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    due_at bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX outbox_by_due ON outbox (due_at, tenant, id);

CREATE TABLE dead_letters (
    tenant text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE kpi_facts (
    tenant text COLLATE "C" NOT NULL,
    at_ms bigint NOT NULL,
    seq bigint NOT NULL,
    n integer NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (tenant, at_ms, seq, n)
);

CREATE TABLE kpi_breaches (
    tenant text COLLATE "C" NOT NULL,
    ticket text COLLATE "C" NOT NULL,
    metric text COLLATE "C" NOT NULL,
    at_ms bigint NOT NULL,
    PRIMARY KEY (tenant, ticket, metric, at_ms)
);

-- Per tenant and UTC day (days since 1970-01-01): the sum of that day's backlog
-- changes.
CREATE TABLE kpi_days (
    tenant text COLLATE "C" NOT NULL,
    day bigint NOT NULL,
    unsolved bigint NOT NULL,
    awaiting bigint NOT NULL,
    PRIMARY KEY (tenant, day)
);
