"""Many workers on many machines, simulated: two server processes on one database behave as one server (issue 17)."""
