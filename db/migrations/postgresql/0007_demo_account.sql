-- BitGet's demo trading account gets its own records (mode 'demo', strategy phase 'demo'): before this
-- it was kept as 'live', so a real-money trader started on the same database would have taken the demo
-- account's book (its positions, capital, drawdown and stored state) for its own.
ALTER TABLE orders DROP CONSTRAINT orders_mode_check;
ALTER TABLE orders ADD CONSTRAINT orders_mode_check CHECK (mode IN ('paper', 'demo', 'live', 'backtest'));
ALTER TABLE trades DROP CONSTRAINT trades_mode_check;
ALTER TABLE trades ADD CONSTRAINT trades_mode_check CHECK (mode IN ('paper', 'demo', 'live', 'backtest'));
ALTER TABLE positions DROP CONSTRAINT positions_mode_check;
ALTER TABLE positions ADD CONSTRAINT positions_mode_check CHECK (mode IN ('paper', 'demo', 'live', 'backtest'));
ALTER TABLE equity_snapshots DROP CONSTRAINT equity_snapshots_mode_check;
ALTER TABLE equity_snapshots ADD CONSTRAINT equity_snapshots_mode_check CHECK (mode IN ('paper', 'demo', 'live', 'backtest'));
ALTER TABLE risk_events DROP CONSTRAINT risk_events_mode_check;
ALTER TABLE risk_events ADD CONSTRAINT risk_events_mode_check CHECK (mode IN ('paper', 'demo', 'live', 'backtest'));
ALTER TABLE trader_state DROP CONSTRAINT trader_state_mode_check;
ALTER TABLE trader_state ADD CONSTRAINT trader_state_mode_check CHECK (mode IN ('paper', 'demo', 'live'));
ALTER TABLE control_requests DROP CONSTRAINT control_requests_mode_check;
ALTER TABLE control_requests ADD CONSTRAINT control_requests_mode_check CHECK (mode IN ('paper', 'demo', 'live'));
ALTER TABLE ml_strategies DROP CONSTRAINT ml_strategies_phase_check;
ALTER TABLE ml_strategies ADD CONSTRAINT ml_strategies_phase_check CHECK (phase IN ('training', 'held_out', 'paper', 'demo', 'live'));

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
