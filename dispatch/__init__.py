"""Cases, SLA clocks, assignment, escalation and verification."""
