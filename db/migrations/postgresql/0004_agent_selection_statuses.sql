-- Every trained seed is on record (a trial of the promotion gate's deflated Sharpe): the status check
-- gains 'unselected' (lost the in-sample seed selection) and 'superseded' (a candidate a newer training
-- replaced before it was judged).
ALTER TABLE agents DROP CONSTRAINT agents_status_check;
ALTER TABLE agents ADD CONSTRAINT agents_status_check
    CHECK (status IN ('candidate', 'promoted', 'rejected', 'retired', 'unselected', 'superseded'));
