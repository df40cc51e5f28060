"""Writes of the session day: check-in, override, chart, sign, addenda, side effects.

Every write is scoped, transactional and audited. The chart is validated on the
server by the safety engine (charting.screening) on every save and again at the
signature, whatever the browser sent; the signature decrements stock through
inventory's `stock_use` in the same transaction, exactly once.
"""

from mesoclinic.charting.services.aftercare import (  # noqa: F401
    aftercare_email,
    aftercare_policy_set,
)
from mesoclinic.charting.services.chart import (  # noqa: F401
    ChartCheck,
    EntryForm,
    _decimal,
    _entry_in,
    _entry_rows,
    _int,
    _require_chartable,
    _totals,
    chart_check,
    chart_save,
    entry_points,
    entry_rows,
    session_limit,
)
from mesoclinic.charting.services.checkin import (  # noqa: F401
    _HISTORY_KINDS,
    _history_from_checkin,
    checkin_request,
    session_checkin,
    session_postpone,
)
from mesoclinic.charting.services.common import (  # noqa: F401
    GAUGE_RANGE,
    MAX_VOLUME_ML,
    STOPPING,
    _fefo_lot,
    _is_physician,
    _locked,
    _lot_facts,
    _signed_history,
    clinic_today,
    practitioner_credentials,
    scope_of,
    scope_user,
    verdict_text,
)
from mesoclinic.charting.services.overrides import (  # noqa: F401
    screening_policy_for,
    screening_settings_for,
    screening_settings_update,
    session_override,
    session_override_cosign,
)
from mesoclinic.charting.services.points import (  # noqa: F401
    POINT_FIELDS,
    PointForm,
)
from mesoclinic.charting.services.side_effects import (  # noqa: F401
    side_effect_file_reports,
    side_effect_record,
)
from mesoclinic.charting.services.sign import (  # noqa: F401
    _next_statuses,
    addendum_create,
    session_sign,
)
