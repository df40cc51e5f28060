"""The patient portal's services: access, questionnaire, booking, records, my data."""

from mesoclinic.portal.services.access import (  # noqa: F401
    SigninLocked,
    code_send,
    invite_accept,
    invite_account,
    portal_actor,
    portal_invite,
    portal_scope,
    signin_code,
    signin_locked,
    signin_password,
)
from mesoclinic.portal.services.booking import (  # noqa: F401
    Eligibility,
    appointment_cancel_online,
    appointment_reschedule_online,
    clinic_settings,
    course_check,
    dates_propose,
    eligibility_check,
    interval_window,
    series_book,
    series_check,
)
from mesoclinic.portal.services.clinic import (  # noqa: F401
    online_service_create,
    online_service_publish,
    portal_settings_set,
)
from mesoclinic.portal.services.guardians import (  # noqa: F401
    guardian_link,
    is_minor,
    ward_get,
    wards,
)
from mesoclinic.portal.services.questionnaire import (  # noqa: F401
    questionnaire_confirm,
    questionnaire_submit,
)
from mesoclinic.portal.services.records import (  # noqa: F401
    consent_sign_online,
    photo_consent_sign_online,
    photo_consent_withdraw_online,
    plans_to_consent,
    typed_signature,
)
from mesoclinic.portal.services.registration import (  # noqa: F401
    age_on,
    registration_code_check,
    registration_code_send,
    self_registration_complete,
    self_registration_review,
)
from mesoclinic.portal.services.rights import (  # noqa: F401
    data_copies,
    data_copy_download,
    data_copy_request,
    data_erasure_request,
    data_erasures,
)
from mesoclinic.portal.services.visits import (  # noqa: F401
    appointment_confirm_online,
    visit_link_appointment,
    visit_link_token,
    visit_link_url,
)
