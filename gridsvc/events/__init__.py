"""Events: the taxonomy of event kinds, intake, storage and handling."""
