"""Handling events after they are reported: states, actions, departments, deadlines."""
