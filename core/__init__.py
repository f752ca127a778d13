"""Shared kernel: settings, clock, ids, logging and the event-bus port."""
