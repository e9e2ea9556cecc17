"""The durable_rules engine: the adapter that decides (`durable`), and its ordinary Python
path (`reference`), kept as the yardstick the tests compare it with."""
