-- Initial schema (SQLite, the embedded default). Times are UTC milliseconds since the Unix epoch.
-- Candle prices are REAL: they are the doubles parsed from the exchange's decimal text, which print back
-- to the same text. Order and trade money is TEXT holding the exact decimal string.

-- A series is one (symbol, timeframe); bars reference it by a small integer so the primary key (the
-- uniqueness rule and the index for range reads) stays compact. historical_data gives the seed's shape.
CREATE TABLE candle_series (
    id         INTEGER PRIMARY KEY,
    symbol     TEXT    NOT NULL,
    timeframe  TEXT    NOT NULL,
    UNIQUE (symbol, timeframe)
);

CREATE TABLE candles (
    series_id  INTEGER NOT NULL REFERENCES candle_series (id),
    open_time  INTEGER NOT NULL,
    open       REAL    NOT NULL,
    high       REAL    NOT NULL,
    low        REAL    NOT NULL,
    close      REAL    NOT NULL,
    volume     REAL    NOT NULL,
    PRIMARY KEY (series_id, open_time)
) WITHOUT ROWID;

CREATE VIEW historical_data AS
    SELECT s.symbol, s.timeframe, c.open_time, c.open, c.high, c.low, c.close, c.volume
    FROM candles c JOIN candle_series s ON s.id = c.series_id;

CREATE TABLE funding_rates (
    symbol        TEXT    NOT NULL,
    funding_time  INTEGER NOT NULL,
    rate          REAL    NOT NULL,
    PRIMARY KEY (symbol, funding_time)
) WITHOUT ROWID;

CREATE TABLE orders (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    client_order_id    TEXT    NOT NULL UNIQUE,
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
    updated_at         INTEGER NOT NULL
);
CREATE INDEX orders_symbol_created ON orders (symbol, created_at);

CREATE TABLE trades (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    mode           TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
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
CREATE INDEX trades_symbol_exit ON trades (symbol, exit_time);

CREATE TABLE positions (
    mode               TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
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

CREATE TABLE ml_strategies (
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
    outcome        TEXT    CHECK (outcome IN ('best', 'worst'))
);
CREATE INDEX ml_strategies_agent_performance ON ml_strategies (agent_version, symbol, performance);

CREATE TABLE pipeline_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    symbols       TEXT    NOT NULL CHECK (json_valid(symbols)),
    stages        TEXT    NOT NULL CHECK (json_valid(stages)),
    code_version  TEXT    NOT NULL,
    error         TEXT
);

CREATE TABLE stage_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        INTEGER NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    stage         TEXT    NOT NULL,
    symbol        TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    input_hash    TEXT,
    outputs       TEXT    CHECK (outputs IS NULL OR json_valid(outputs)),
    error         TEXT
);
CREATE INDEX stage_runs_stage_symbol ON stage_runs (stage, symbol, started_at);

CREATE TABLE agents (
    symbol             TEXT    NOT NULL,
    version            TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('candidate', 'promoted', 'rejected', 'retired')),
    path               TEXT    NOT NULL,
    feature_spec_hash  TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    metrics            TEXT    CHECK (metrics IS NULL OR json_valid(metrics)),
    reason             TEXT,
    PRIMARY KEY (symbol, version)
);

CREATE TABLE equity_snapshots (
    mode        TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    scope       TEXT    NOT NULL,
    "time"      INTEGER NOT NULL,
    equity      TEXT    NOT NULL,
    realized    TEXT    NOT NULL,
    unrealized  TEXT    NOT NULL,
    PRIMARY KEY (mode, scope, "time")
);
