-- The live trader's journal: its resumable state, risk transitions, operator-facing events and
-- requests, and strategy records from paper and live trades.

-- Per account mode and symbol: the engine's and the paper venue's state (JSON) after the last
-- processed bar, written in the same transaction as that bar's orders, trades and position, so a
-- restart (even after kill -9) resumes right after it: no bar lost, none processed twice.
CREATE TABLE trader_state (
    mode                TEXT    NOT NULL CHECK (mode IN ('paper', 'live')),
    symbol              TEXT    NOT NULL,
    last_bar_open_time  INTEGER NOT NULL,
    agent_version       TEXT,
    state               TEXT    NOT NULL CHECK (json_valid(state)),
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (mode, symbol)
);

-- Every change of a symbol's risk state, with its reason.
CREATE TABLE risk_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    mode        TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    symbol      TEXT    NOT NULL,
    "time"      INTEGER NOT NULL,
    from_state  TEXT    NOT NULL,
    to_state    TEXT    NOT NULL,
    reason      TEXT    NOT NULL
);
CREATE INDEX risk_events_symbol_time ON risk_events (mode, symbol, "time");

-- What the trader did that an operator wants to know: an agent loaded or refused, data stale or
-- backfilled, a retrain started, a halt resumed.
CREATE TABLE trader_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    mode     TEXT    NOT NULL,
    symbol   TEXT,
    "time"   INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    message  TEXT    NOT NULL
);
CREATE INDEX trader_events_time ON trader_events ("time");

-- Operator requests (e.g. `trader resume BTCUSDT`), taken by the running trader in order.
CREATE TABLE control_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    mode        TEXT    NOT NULL CHECK (mode IN ('paper', 'live')),
    command     TEXT    NOT NULL,
    symbol      TEXT,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    created_at  INTEGER NOT NULL,
    handled_at  INTEGER,
    result      TEXT
);

-- Strategy records also come from paper and live trades: the phase check gains those two (SQLite
-- cannot alter a check constraint, so the table is rebuilt with its rows).
CREATE TABLE ml_strategies_rebuilt (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_version  TEXT    NOT NULL,
    symbol         TEXT    NOT NULL,
    "timestamp"    INTEGER NOT NULL,
    action         TEXT    NOT NULL,
    timeframes     TEXT    NOT NULL CHECK (json_valid(timeframes)),
    indicators     TEXT    NOT NULL CHECK (json_valid(indicators)),
    tools          TEXT    NOT NULL CHECK (json_valid(tools)),
    leverage       TEXT    NOT NULL,
    pnl            TEXT    NOT NULL,
    performance    REAL    NOT NULL,
    outcome        TEXT    CHECK (outcome IN ('best', 'worst')),
    phase          TEXT    NOT NULL DEFAULT 'held_out' CHECK (phase IN ('training', 'held_out', 'paper', 'live')),
    exit_time      INTEGER
);
INSERT INTO ml_strategies_rebuilt (id, agent_version, symbol, "timestamp", action, timeframes, indicators, tools, leverage, pnl,
                                   performance, outcome, phase, exit_time)
    SELECT id, agent_version, symbol, "timestamp", action, timeframes, indicators, tools, leverage, pnl, performance, outcome,
           phase, exit_time
    FROM ml_strategies;
DROP TABLE ml_strategies;
ALTER TABLE ml_strategies_rebuilt RENAME TO ml_strategies;
CREATE INDEX ml_strategies_agent_performance ON ml_strategies (agent_version, symbol, performance);

-- Client order ids are unique per account mode, not across modes: a paper account and a live one
-- running the same agent make the same decision at the same time (SQLite rebuilds the table to change
-- the key).
CREATE TABLE orders_by_mode (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id    TEXT    NOT NULL,
    exchange_order_id  TEXT,
    mode               TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    symbol             TEXT    NOT NULL,
    side               TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type         TEXT    NOT NULL CHECK (order_type IN ('market', 'limit')),
    size               TEXT    NOT NULL,
    price              TEXT,
    reduce_only        INTEGER NOT NULL DEFAULT 0,
    stop_loss          TEXT,
    take_profit        TEXT,
    status             TEXT    NOT NULL,
    filled_size        TEXT    NOT NULL DEFAULT '0',
    average_price      TEXT,
    fee                TEXT    NOT NULL DEFAULT '0',
    agent_version      TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (mode, client_order_id)
);
INSERT INTO orders_by_mode SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_by_mode RENAME TO orders;
CREATE INDEX orders_symbol_created ON orders (symbol, created_at);
