-- The live trader's journal: its resumable state, risk transitions, operator-facing events and
-- requests, and strategy records from paper and live trades.

-- Per account mode and symbol: the engine's and the paper venue's state (JSON) after the last
-- processed bar, written in the same transaction as that bar's orders, trades and position, so a
-- restart (even after kill -9) resumes right after it: no bar lost, none processed twice.
CREATE TABLE trader_state (
    mode                TEXT   NOT NULL CHECK (mode IN ('paper', 'live')),
    symbol              TEXT   NOT NULL,
    last_bar_open_time  BIGINT NOT NULL,
    agent_version       TEXT,
    state               JSONB  NOT NULL,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (mode, symbol)
);

-- Every change of a symbol's risk state, with its reason.
CREATE TABLE risk_events (
    id          BIGSERIAL PRIMARY KEY,
    mode        TEXT   NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    symbol      TEXT   NOT NULL,
    "time"      BIGINT NOT NULL,
    from_state  TEXT   NOT NULL,
    to_state    TEXT   NOT NULL,
    reason      TEXT   NOT NULL
);
CREATE INDEX risk_events_symbol_time ON risk_events (mode, symbol, "time");

-- What the trader did that an operator wants to know: an agent loaded or refused, data stale or
-- backfilled, a retrain started, a halt resumed.
CREATE TABLE trader_events (
    id       BIGSERIAL PRIMARY KEY,
    mode     TEXT   NOT NULL,
    symbol   TEXT,
    "time"   BIGINT NOT NULL,
    kind     TEXT   NOT NULL,
    message  TEXT   NOT NULL
);
CREATE INDEX trader_events_time ON trader_events ("time");

-- Operator requests (e.g. `trader resume BTCUSDT`), taken by the running trader in order.
CREATE TABLE control_requests (
    id          BIGSERIAL PRIMARY KEY,
    mode        TEXT   NOT NULL CHECK (mode IN ('paper', 'live')),
    command     TEXT   NOT NULL,
    symbol      TEXT,
    status      TEXT   NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    created_at  BIGINT NOT NULL,
    handled_at  BIGINT,
    result      TEXT
);

-- Strategy records also come from paper and live trades.
ALTER TABLE ml_strategies DROP CONSTRAINT ml_strategies_phase_check;
ALTER TABLE ml_strategies ADD CONSTRAINT ml_strategies_phase_check CHECK (phase IN ('training', 'held_out', 'paper', 'live'));

-- Client order ids are unique per account mode, not across modes: a paper account and a live one
-- running the same agent make the same decision at the same time.
ALTER TABLE orders DROP CONSTRAINT orders_client_order_id_key;
ALTER TABLE orders ADD CONSTRAINT orders_mode_client_order_id_key UNIQUE (mode, client_order_id);
