-- Promotion history (what `agents rollback` walks back through) and the phase of a strategy record.

-- Every change of agents/{SYMBOL}/current: a promotion, or a rollback to the version it replaced.
CREATE TABLE agent_promotions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol            TEXT    NOT NULL,
    version           TEXT    NOT NULL,
    previous_version  TEXT,
    kind              TEXT    NOT NULL CHECK (kind IN ('promote', 'rollback')),
    reason            TEXT    NOT NULL,
    promoted_at       INTEGER NOT NULL
);
CREATE INDEX agent_promotions_symbol ON agent_promotions (symbol, id);

-- 'training' for trades of the agent's in-sample backtest, 'held_out' for its out-of-sample one.
ALTER TABLE ml_strategies ADD COLUMN phase TEXT NOT NULL DEFAULT 'held_out' CHECK (phase IN ('training', 'held_out'));
ALTER TABLE ml_strategies ADD COLUMN exit_time INTEGER;
