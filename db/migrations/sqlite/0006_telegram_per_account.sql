-- The Telegram records per account: a paper and a live trader may share one database, each with its
-- own outbox and its own state. Before this, only paper trading could run, so what exists is paper's.
ALTER TABLE telegram_outbox ADD COLUMN mode TEXT NOT NULL DEFAULT 'paper';
DROP INDEX telegram_outbox_waiting;
CREATE INDEX telegram_outbox_waiting ON telegram_outbox (mode, status, id);
UPDATE telegram_state SET key = 'paper.' || key WHERE key NOT LIKE 'paper.%' AND key NOT LIKE 'live.%';
