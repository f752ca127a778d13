"""Efficiency reports for managers, computed from the append-only case timeline.

Cohort and time
    A report covers the cases whose report (``report`` entry, ``cases.reported_at``) falls in
    ``[start, end)``; it reads only timeline entries at or before ``as_of`` (default ``end``),
    so re-running a report gives the same numbers. Periods (day, ISO week, month) are local to
    ``ReportConfig.timezone`` (Asia/Shanghai by default); "custom" is any ``[start, end)``.

Per case (``facts.case_facts``; mirrored in SQL by ``sql_facts``)
    * final state = ``to_state`` of the last recorded entry (highest ``seq``) at or before as_of;
    * discover/arrive/resolve/handling seconds from ``dispatch.metrics.case_durations`` (wall
      clock): discover = first ``file``/``self_handle`` - first seen; arrive = last ``arrive`` -
      the last ``dispatch`` before it; resolve = last ``handle`` after that arrival - arrival;
      handling = that ``handle`` - first ``dispatch``. Within-target flags only for
      continuous-clock categories (the working-clock ones have no such targets);
    * handled on time = last ``handle``/``self_handle`` <= ``cases.handling_due_at`` (the due
      time the SLA service derives from the category deadline on the city calendar and moves
      with each 延期); no due time = on time;
    * staff = actor of the last ``arrive``; team = that staff member's current team.

Indicators (``config.default_config``; formulas and denominators are data)

    ========================  =================  =====================================
    indicator                 formula            meaning of the measures
    ========================  =================  =====================================
    有效上报率 valid reports    valid / cases       valid = filed, not ending voided/rejected
    按时立案率 on-time filing   filed_on_time /     discover clock within target (or none)
                              filed
    准确派遣率 accurate disp.   (dispatches -       dispatches = ``dispatch`` actions opening
                              returns) /          an assignment (not re-offers to another
                              dispatches          worker); each ``return`` ends one dispatch
    处置率 handling            handled / due       due = dispatched, not ending voided/parked;
                                                  handled = final handled/verified/
                                                  self_handled/closed
    按期处置率 on-time          handled_on_time /
                              due
    超期处置率 late             handled_late / due
    超期待处置率 overdue open   overdue_open / due  not handled, due time before as_of
    返工率 rework              reworked /          due_for_closure = filed, not ending
                              due_for_closure     voided/parked; reworked = any
                                                  ``fail_verification``
    延期率 extension           extended / due      any ``extend``
    结案率 closure             closed /
                              due_for_closure
    按期结案率 on-time closure  closed_on_time /    closed and handled on time
                              due_for_closure
    平均处置时长 mean handling  mean(handling_s)
    AI precision              camera_valid /      camera cases not voided/rejected
                              camera_cases
    ========================  =================  =====================================

    Composite (default, one district's example): 处置率x30 + 按期处置率x20 + (1-返工率)x20 +
    (1-超期待处置率)x20 + (1-延期率)x10; a term whose denominator is zero is left out and the
    score rescaled to 100 (``composite_missing="rescale"``).

Every filed case is in exactly one outcome bucket: closed, voided, parked, awaiting_closure,
open_overdue or open (unfiled cases: ``unfiled``).

Paths (``build_report(engine=...)``), all giving the same numbers (durations to the
millisecond): ``"python"`` (pure, reference); ``"timeline"`` (per-case facts derived in SQL from
the timeline; PostgreSQL: GROUPING SETS and percentile_cont; SQLite: window functions);
``"facts"`` (the ``case_facts`` table, aggregated with numpy: ``store``, ``columns``,
``records``, ``vector``); ``"sql"`` (default) = ``"facts"`` once the table has been rebuilt by
the current definition (``store.facts_ready``), else ``"timeline"``.

The facts table is derived, never a source of truth: ``dispatch.lifecycle.append_event`` keeps
each case's row current in the same transaction (``store.note_timeline_entry``), and
``store.rebuild_case_facts`` (``python -m dispatch.reports.store``) derives it all again. A
stored row describes the case's whole timeline; for an ``as_of`` earlier than a case's last
entry the report recomputes that case from the timeline as of ``as_of`` (only those cases), so
every ``as_of`` gives the timeline's numbers. Category targets and staff teams are read at
report time (they are configuration, not history).
"""

from dispatch.reports.compare import (
    Comparison,
    Delta,
    area_vs_area,
    before_after,
    compare,
    period_over_period,
)
from dispatch.reports.config import (
    CompositeTerm,
    IndicatorDef,
    Measure,
    ReportConfig,
    default_config,
)
from dispatch.reports.model import (
    DEFAULT_BREAKDOWNS,
    Breakdown,
    ClockStats,
    Dimension,
    GroupStats,
    Report,
    parse_breakdowns,
)
from dispatch.reports.service import build_report

__all__ = [
    "DEFAULT_BREAKDOWNS",
    "Breakdown",
    "ClockStats",
    "Comparison",
    "CompositeTerm",
    "Delta",
    "Dimension",
    "GroupStats",
    "IndicatorDef",
    "Measure",
    "Report",
    "ReportConfig",
    "area_vs_area",
    "before_after",
    "build_report",
    "compare",
    "default_config",
    "parse_breakdowns",
    "period_over_period",
]
