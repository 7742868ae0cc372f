-- No JIT compilation for the rest of this transaction: a batch of reports is short work, but
-- its duplicates query's estimated cost grows with the batch and the data until JIT would
-- compile it, for longer (~27 ms at 32 reports and 1M events) than it runs. A server gridsvc
-- manages has jit off anyway (gridsvc.db.local); this is for the others.
SET LOCAL jit = off
