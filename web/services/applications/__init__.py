"""The residence-permit application wizard (居住证申领, DOMAIN §4): prefill, steps, submission.

Rules answer with reason codes keyed by form field; the controller translates them. Callers import
from this package; its modules are:
  common   steps and fields, the draft (ApplyDraft), FamilyRow, the error types
  prefill  who may apply now (applicant), the form prefilled from the profile and the registration
  steps    the rules of each step, and recheck of every stored answer before submitting
  answers  answering a step: its rules over the form, the draft kept and saved each time
  submit   submit exactly once (one-time token, unique constraints), the 受理编号
"""

from web.services.applications.answers import answer_step, keep_family_rows, photo_of_draft
from web.services.applications.common import (
    ANSWER_STEPS,
    DRAFT_KIND,
    FAMILY_FIELDS,
    PERSONAL_FIELDS,
    STEP_FIELDS,
    STEPS,
    ApplicationRefused,
    ApplyDraft,
    FamilyRow,
    StepInvalid,
    StepResult,
    family_field,
)
from web.services.applications.prefill import (
    Applicant,
    applicant,
    discard_draft,
    house_code_of,
    is_first_application,
    load_draft,
    open_application,
    prefill,
    save_draft,
    start_or_resume,
)
from web.services.applications.steps import (
    check_condition,
    check_family,
    check_personal,
    check_photo,
    check_point,
    family_rows,
    locked_fields,
    recheck,
)
from web.services.applications.submit import (
    Submission,
    acceptance_number,
    application_of_token,
    corrected_fields,
    draft_token,
    submit,
)

__all__ = [
    "ANSWER_STEPS",
    "DRAFT_KIND",
    "FAMILY_FIELDS",
    "PERSONAL_FIELDS",
    "STEPS",
    "STEP_FIELDS",
    "Applicant",
    "ApplicationRefused",
    "ApplyDraft",
    "FamilyRow",
    "StepInvalid",
    "StepResult",
    "Submission",
    "acceptance_number",
    "answer_step",
    "applicant",
    "application_of_token",
    "check_condition",
    "check_family",
    "check_personal",
    "check_photo",
    "check_point",
    "corrected_fields",
    "discard_draft",
    "draft_token",
    "family_field",
    "family_rows",
    "house_code_of",
    "is_first_application",
    "keep_family_rows",
    "load_draft",
    "locked_fields",
    "open_application",
    "photo_of_draft",
    "prefill",
    "recheck",
    "save_draft",
    "start_or_resume",
    "submit",
]
