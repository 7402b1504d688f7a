-- Every trained seed is on record (a trial of the promotion gate's deflated Sharpe): the status check
-- gains 'unselected' (lost the in-sample seed selection) and 'superseded' (a candidate a newer training
-- replaced before it was judged). SQLite cannot alter a check constraint, so the table is rebuilt.
CREATE TABLE agents_rebuilt (
    symbol             TEXT    NOT NULL,
    version            TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('candidate', 'promoted', 'rejected', 'retired', 'unselected', 'superseded')),
    path               TEXT    NOT NULL,
    feature_spec_hash  TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    metrics            TEXT    CHECK (metrics IS NULL OR json_valid(metrics)),
    reason             TEXT,
    PRIMARY KEY (symbol, version)
);
INSERT INTO agents_rebuilt (symbol, version, status, path, feature_spec_hash, created_at, metrics, reason)
    SELECT symbol, version, status, path, feature_spec_hash, created_at, metrics, reason FROM agents;
DROP TABLE agents;
ALTER TABLE agents_rebuilt RENAME TO agents;
