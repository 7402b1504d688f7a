-- The Telegram records per account: a paper and a live trader may share one database, each with its
-- own outbox and its own state. Before this, only paper trading could run, so what exists is paper's.
ALTER TABLE telegram_outbox ADD COLUMN mode TEXT NOT NULL DEFAULT 'paper';
DROP INDEX telegram_outbox_waiting;
CREATE INDEX telegram_outbox_waiting ON telegram_outbox (mode, status, id);
-- A key kept in both forms keeps the prefixed one (the newer); the others are prefixed.
DELETE FROM telegram_state WHERE key NOT LIKE 'paper.%' AND key NOT LIKE 'live.%'
    AND 'paper.' || key IN (SELECT key FROM telegram_state);
UPDATE telegram_state SET key = 'paper.' || key WHERE key NOT LIKE 'paper.%' AND key NOT LIKE 'live.%';
