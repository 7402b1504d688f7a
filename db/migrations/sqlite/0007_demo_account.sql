-- BitGet's demo trading account gets its own records (mode 'demo', strategy phase 'demo'): before this
-- it was kept as 'live', so a real-money trader started on the same database would have taken the demo
-- account's book (its positions, capital, drawdown and stored state) for its own. SQLite cannot alter a
-- check constraint: each table is rebuilt with its rows (none of them is referenced by a foreign key).

CREATE TABLE orders_with_demo (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id    TEXT    NOT NULL,
    exchange_order_id  TEXT,
    mode               TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'live', 'backtest')),
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
INSERT INTO orders_with_demo (id, client_order_id, exchange_order_id, mode, symbol, side, order_type, size, price, reduce_only, stop_loss, take_profit, status, filled_size, average_price, fee, agent_version, created_at, updated_at)
    SELECT id, client_order_id, exchange_order_id, mode, symbol, side, order_type, size, price, reduce_only, stop_loss, take_profit, status, filled_size, average_price, fee, agent_version, created_at, updated_at FROM orders;
-- The id sequence goes on from where it was (ids of rows pruned since are never reused).
DELETE FROM sqlite_sequence WHERE name = 'orders_with_demo';
INSERT INTO sqlite_sequence (name, seq) SELECT 'orders_with_demo', seq FROM sqlite_sequence WHERE name = 'orders';
DROP TABLE orders;
ALTER TABLE orders_with_demo RENAME TO orders;
CREATE INDEX orders_symbol_created ON orders (symbol, created_at);

CREATE TABLE trades_with_demo (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    mode           TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'live', 'backtest')),
    symbol         TEXT    NOT NULL,
    side           TEXT    NOT NULL CHECK (side IN ('long', 'short')),
    size           TEXT    NOT NULL,
    leverage       TEXT    NOT NULL,
    entry_time     INTEGER NOT NULL,
    entry_price    TEXT    NOT NULL,
    exit_time      INTEGER NOT NULL,
    exit_price     TEXT    NOT NULL,
    fees           TEXT    NOT NULL,
    funding        TEXT    NOT NULL,
    realized_pnl   TEXT    NOT NULL,
    exit_reason    TEXT    NOT NULL,
    agent_version  TEXT
);
INSERT INTO trades_with_demo (id, mode, symbol, side, size, leverage, entry_time, entry_price, exit_time, exit_price, fees, funding, realized_pnl, exit_reason, agent_version)
    SELECT id, mode, symbol, side, size, leverage, entry_time, entry_price, exit_time, exit_price, fees, funding, realized_pnl, exit_reason, agent_version FROM trades;
-- The id sequence goes on from where it was (ids of rows pruned since are never reused).
DELETE FROM sqlite_sequence WHERE name = 'trades_with_demo';
INSERT INTO sqlite_sequence (name, seq) SELECT 'trades_with_demo', seq FROM sqlite_sequence WHERE name = 'trades';
DROP TABLE trades;
ALTER TABLE trades_with_demo RENAME TO trades;
CREATE INDEX trades_symbol_exit ON trades (symbol, exit_time);

CREATE TABLE positions_with_demo (
    mode               TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'live', 'backtest')),
    symbol             TEXT    NOT NULL,
    side               TEXT    NOT NULL CHECK (side IN ('long', 'short')),
    size               TEXT    NOT NULL,
    entry_price        TEXT    NOT NULL,
    leverage           TEXT    NOT NULL,
    margin             TEXT    NOT NULL,
    liquidation_price  TEXT,
    stop_loss          TEXT,
    take_profit        TEXT,
    opened_at          INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (mode, symbol)
);
INSERT INTO positions_with_demo (mode, symbol, side, size, entry_price, leverage, margin, liquidation_price, stop_loss, take_profit, opened_at, updated_at)
    SELECT mode, symbol, side, size, entry_price, leverage, margin, liquidation_price, stop_loss, take_profit, opened_at, updated_at FROM positions;
DROP TABLE positions;
ALTER TABLE positions_with_demo RENAME TO positions;

CREATE TABLE equity_snapshots_with_demo (
    mode        TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'live', 'backtest')),
    scope       TEXT    NOT NULL,
    "time"      INTEGER NOT NULL,
    equity      TEXT    NOT NULL,
    realized    TEXT    NOT NULL,
    unrealized  TEXT    NOT NULL,
    PRIMARY KEY (mode, scope, "time")
);
INSERT INTO equity_snapshots_with_demo (mode, scope, "time", equity, realized, unrealized)
    SELECT mode, scope, "time", equity, realized, unrealized FROM equity_snapshots;
DROP TABLE equity_snapshots;
ALTER TABLE equity_snapshots_with_demo RENAME TO equity_snapshots;

CREATE TABLE risk_events_with_demo (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    mode        TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'live', 'backtest')),
    symbol      TEXT    NOT NULL,
    "time"      INTEGER NOT NULL,
    from_state  TEXT    NOT NULL,
    to_state    TEXT    NOT NULL,
    reason      TEXT    NOT NULL
);
INSERT INTO risk_events_with_demo (id, mode, symbol, "time", from_state, to_state, reason)
    SELECT id, mode, symbol, "time", from_state, to_state, reason FROM risk_events;
-- The id sequence goes on from where it was (ids of rows pruned since are never reused).
DELETE FROM sqlite_sequence WHERE name = 'risk_events_with_demo';
INSERT INTO sqlite_sequence (name, seq) SELECT 'risk_events_with_demo', seq FROM sqlite_sequence WHERE name = 'risk_events';
DROP TABLE risk_events;
ALTER TABLE risk_events_with_demo RENAME TO risk_events;
CREATE INDEX risk_events_symbol_time ON risk_events (mode, symbol, "time");

CREATE TABLE trader_state_with_demo (
    mode                TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'live')),
    symbol              TEXT    NOT NULL,
    last_bar_open_time  INTEGER NOT NULL,
    agent_version       TEXT,
    state               TEXT    NOT NULL CHECK (json_valid(state)),
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (mode, symbol)
);
INSERT INTO trader_state_with_demo (mode, symbol, last_bar_open_time, agent_version, state, updated_at)
    SELECT mode, symbol, last_bar_open_time, agent_version, state, updated_at FROM trader_state;
DROP TABLE trader_state;
ALTER TABLE trader_state_with_demo RENAME TO trader_state;

CREATE TABLE control_requests_with_demo (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    mode        TEXT    NOT NULL CHECK (mode IN ('paper', 'demo', 'live')),
    command     TEXT    NOT NULL,
    symbol      TEXT,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    created_at  INTEGER NOT NULL,
    handled_at  INTEGER,
    result      TEXT
);
INSERT INTO control_requests_with_demo (id, mode, command, symbol, status, created_at, handled_at, result)
    SELECT id, mode, command, symbol, status, created_at, handled_at, result FROM control_requests;
-- The id sequence goes on from where it was (ids of rows pruned since are never reused).
DELETE FROM sqlite_sequence WHERE name = 'control_requests_with_demo';
INSERT INTO sqlite_sequence (name, seq) SELECT 'control_requests_with_demo', seq FROM sqlite_sequence WHERE name = 'control_requests';
DROP TABLE control_requests;
ALTER TABLE control_requests_with_demo RENAME TO control_requests;

CREATE TABLE ml_strategies_with_demo (
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
    phase          TEXT    NOT NULL DEFAULT 'held_out' CHECK (phase IN ('training', 'held_out', 'paper', 'demo', 'live')),
    exit_time      INTEGER
);
INSERT INTO ml_strategies_with_demo (id, agent_version, symbol, "timestamp", action, timeframes, indicators, tools, leverage, pnl, performance, outcome, phase, exit_time)
    SELECT id, agent_version, symbol, "timestamp", action, timeframes, indicators, tools, leverage, pnl, performance, outcome, phase, exit_time FROM ml_strategies;
-- The id sequence goes on from where it was (ids of rows pruned since are never reused).
DELETE FROM sqlite_sequence WHERE name = 'ml_strategies_with_demo';
INSERT INTO sqlite_sequence (name, seq) SELECT 'ml_strategies_with_demo', seq FROM sqlite_sequence WHERE name = 'ml_strategies';
DROP TABLE ml_strategies;
ALTER TABLE ml_strategies_with_demo RENAME TO ml_strategies;
CREATE INDEX ml_strategies_agent_performance ON ml_strategies (agent_version, symbol, performance);

-- Until this version live trading was refused with money: every 'live' record came from the demo
-- account, and is now its own.
UPDATE orders SET mode = 'demo' WHERE mode = 'live';
UPDATE trades SET mode = 'demo' WHERE mode = 'live';
UPDATE positions SET mode = 'demo' WHERE mode = 'live';
UPDATE equity_snapshots SET mode = 'demo' WHERE mode = 'live';
UPDATE risk_events SET mode = 'demo' WHERE mode = 'live';
UPDATE trader_state SET mode = 'demo' WHERE mode = 'live';
UPDATE control_requests SET mode = 'demo' WHERE mode = 'live';
UPDATE trader_events SET mode = 'demo' WHERE mode = 'live';
UPDATE ml_strategies SET phase = 'demo' WHERE phase = 'live';
UPDATE telegram_outbox SET mode = 'demo' WHERE mode = 'live';
UPDATE telegram_state SET key = 'demo.' || substr(key, 6) WHERE key LIKE 'live.%';
