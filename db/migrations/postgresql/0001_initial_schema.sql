-- Initial schema (PostgreSQL). Times are UTC milliseconds since the Unix epoch (BIGINT) everywhere;
-- prices, sizes and money are NUMERIC so exchange decimals are stored exactly.

-- Bars of every symbol and timeframe (the seed's HistoricalData). The primary key is the uniqueness
-- rule and the index for range reads in time order.
CREATE TABLE candles (
    symbol     TEXT    NOT NULL,
    timeframe  TEXT    NOT NULL,
    open_time  BIGINT  NOT NULL,
    open       NUMERIC NOT NULL,
    high       NUMERIC NOT NULL,
    low        NUMERIC NOT NULL,
    close      NUMERIC NOT NULL,
    volume     NUMERIC NOT NULL,
    PRIMARY KEY (symbol, timeframe, open_time)
);

-- Funding settlements; rate is a fraction per interval, positive = longs pay shorts.
CREATE TABLE funding_rates (
    symbol        TEXT    NOT NULL,
    funding_time  BIGINT  NOT NULL,
    rate          NUMERIC NOT NULL,
    PRIMARY KEY (symbol, funding_time)
);

-- Orders sent to a venue (paper or live); client_order_id makes submission idempotent.
CREATE TABLE orders (
    id                 BIGSERIAL PRIMARY KEY,
    client_order_id    TEXT    NOT NULL UNIQUE,
    exchange_order_id  TEXT,
    mode               TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    symbol             TEXT    NOT NULL,
    side               TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type         TEXT    NOT NULL CHECK (order_type IN ('market', 'limit')),
    size               NUMERIC NOT NULL,
    price              NUMERIC,
    reduce_only        BOOLEAN NOT NULL DEFAULT FALSE,
    stop_loss          NUMERIC,
    take_profit        NUMERIC,
    status             TEXT    NOT NULL,
    filled_size        NUMERIC NOT NULL DEFAULT 0,
    average_price      NUMERIC,
    fee                NUMERIC NOT NULL DEFAULT 0,
    agent_version      TEXT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE INDEX orders_symbol_created ON orders (symbol, created_at);

-- Closed trades with their costs and why they ended.
CREATE TABLE trades (
    id             BIGSERIAL PRIMARY KEY,
    mode           TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    symbol         TEXT    NOT NULL,
    side           TEXT    NOT NULL CHECK (side IN ('long', 'short')),
    size           NUMERIC NOT NULL,
    leverage       NUMERIC NOT NULL,
    entry_time     BIGINT  NOT NULL,
    entry_price    NUMERIC NOT NULL,
    exit_time      BIGINT  NOT NULL,
    exit_price     NUMERIC NOT NULL,
    fees           NUMERIC NOT NULL,
    funding        NUMERIC NOT NULL,
    realized_pnl   NUMERIC NOT NULL,
    exit_reason    TEXT    NOT NULL,
    agent_version  TEXT
);
CREATE INDEX trades_symbol_exit ON trades (symbol, exit_time);

-- The open position per symbol and mode (one-way mode: at most one).
CREATE TABLE positions (
    mode               TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    symbol             TEXT    NOT NULL,
    side               TEXT    NOT NULL CHECK (side IN ('long', 'short')),
    size               NUMERIC NOT NULL,
    entry_price        NUMERIC NOT NULL,
    leverage           NUMERIC NOT NULL,
    margin             NUMERIC NOT NULL,
    liquidation_price  NUMERIC,
    stop_loss          NUMERIC,
    take_profit        NUMERIC,
    opened_at          BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    PRIMARY KEY (mode, symbol)
);

-- Every trade as a strategy record (the seed's MLStrategies); the best and worst 1000 per agent are kept.
CREATE TABLE ml_strategies (
    id             BIGSERIAL PRIMARY KEY,
    agent_version  TEXT    NOT NULL,
    symbol         TEXT    NOT NULL,
    "timestamp"    BIGINT  NOT NULL,
    action         TEXT    NOT NULL,
    timeframes     JSONB   NOT NULL,
    indicators     JSONB   NOT NULL,
    tools          JSONB   NOT NULL,
    leverage       NUMERIC NOT NULL,
    pnl            NUMERIC NOT NULL,
    performance    DOUBLE PRECISION NOT NULL,
    outcome        TEXT    CHECK (outcome IN ('best', 'worst'))
);
CREATE INDEX ml_strategies_agent_performance ON ml_strategies (agent_version, symbol, performance);

-- Runs of the offline pipeline and their stages.
CREATE TABLE pipeline_runs (
    id            BIGSERIAL PRIMARY KEY,
    reason        TEXT   NOT NULL,
    status        TEXT   NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    symbols       JSONB  NOT NULL,
    stages        JSONB  NOT NULL,
    code_version  TEXT   NOT NULL,
    error         TEXT
);

CREATE TABLE stage_runs (
    id            BIGSERIAL PRIMARY KEY,
    run_id        BIGINT NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    stage         TEXT   NOT NULL,
    symbol        TEXT,
    status        TEXT   NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    input_hash    TEXT,
    outputs       JSONB,
    error         TEXT
);
CREATE INDEX stage_runs_stage_symbol ON stage_runs (stage, symbol, started_at);

-- Versioned agent artifacts and their promotion state.
CREATE TABLE agents (
    symbol             TEXT   NOT NULL,
    version            TEXT   NOT NULL,
    status             TEXT   NOT NULL CHECK (status IN ('candidate', 'promoted', 'rejected', 'retired')),
    path               TEXT   NOT NULL,
    feature_spec_hash  TEXT   NOT NULL,
    created_at         BIGINT NOT NULL,
    metrics            JSONB,
    reason             TEXT,
    PRIMARY KEY (symbol, version)
);

-- Equity over time for the account ('ACCOUNT') or one symbol.
CREATE TABLE equity_snapshots (
    mode        TEXT    NOT NULL CHECK (mode IN ('paper', 'live', 'backtest')),
    scope       TEXT    NOT NULL,
    "time"      BIGINT  NOT NULL,
    equity      NUMERIC NOT NULL,
    realized    NUMERIC NOT NULL,
    unrealized  NUMERIC NOT NULL,
    PRIMARY KEY (mode, scope, "time")
);
