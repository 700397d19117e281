"""zkgate.circuits."""
