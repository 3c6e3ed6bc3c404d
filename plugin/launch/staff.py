"""Who is staff and who coordinates, from what Moodle tells us: pure rules, no I/O.

Moodle computes the LTI role twice, from different capabilities (mod/lti/locallib.php, ``lti_get_ims_role``):
a launch says Instructor to whoever has ``mod/lti:manage`` on the activity, the NRPS roster to whoever has
``moodle/course:manageactivities`` on the course. Its non-editing teacher has the first and not the second, so it
is an Instructor when it launches and a Learner on the roster; editing teachers and managers are Instructors in
both. Neither tells a non-editing teacher from an editing one. Moodle's own course roles (Web Services
``core_enrol_get_enrolled_users``, role shortnames) do, so when Samattha can read them they decide:
editing teachers and managers coordinate, non-editing teachers are staff who do not (a coordinator may appoint
them assessor), students learn. Without them, staff is anyone either LTI source calls staff, and a coordinator
may limit an Instructor to assessing or viewing (plugin.models.StaffLimit)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import lti

__all__ = [
    "LIMITS", "MOODLE_COORDINATING", "MOODLE_LEARNING", "MOODLE_STAFF", "effective_roles", "is_staff",
    "moodle_lis_roles", "standing",
]

LIMITS = ("assess", "view")
MOODLE_COORDINATING = frozenset({"editingteacher", "manager"})
MOODLE_STAFF = frozenset({"editingteacher", "manager", "teacher", "coursecreator"})
MOODLE_LEARNING = frozenset({"student"})

# Moodle's archetype shortnames as LIS context roles (LTI Core 1.3 §A.2.3): a non-editing teacher is what LIS
# calls a teaching assistant, a sub-role of Instructor that Samattha counts as staff but not as coordinator.
_MOODLE_TO_LIS = {
    "editingteacher": lti.ROLE_INSTRUCTOR,
    "manager": lti.ROLE_INSTRUCTOR,
    "teacher": lti.ROLE_TEACHING_ASSISTANT,
    "coursecreator": lti.ROLE_TEACHING_ASSISTANT,
    "student": lti.ROLE_LEARNER,
}
_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def is_staff(roles: Iterable[str]) -> bool:
    return any(lti.is_staff_role(role) for role in roles)


def moodle_lis_roles(shortnames: Iterable[str]) -> list[str] | None:
    """Moodle course roles as LIS roles; None when none of them is one Samattha knows (a site's own custom
    roles): then the LTI roles decide, as without Web Services."""
    mapped = dict.fromkeys(_MOODLE_TO_LIS[name] for name in shortnames if name in _MOODLE_TO_LIS)
    if lti.ROLE_INSTRUCTOR in mapped:
        mapped.pop(lti.ROLE_TEACHING_ASSISTANT, None)
    return list(mapped) or None


def effective_roles(launch_roles: Sequence[str] | None, nrps_roles: Sequence[str] | None,
                    moodle_roles: Sequence[str] | None) -> list[str]:
    """The LIS roles Samattha goes by (stored as ``Enrolment.roles``, which every page and the portfolios read).

    Moodle's course roles, when known, replace the context roles the LTI sources sent (roles outside the course
    context, such as the site administrator's, are kept). Otherwise both LTI sources count: staff in either is
    staff (the launch sees the non-editing teacher's Instructor that the roster hides), and staff are never also
    learners here."""
    said = list(dict.fromkeys([*(launch_roles or ()), *(nrps_roles or ())]))
    from_moodle = moodle_lis_roles(moodle_roles) if moodle_roles is not None else None
    if from_moodle is not None:
        others = [role for role in said if not role.startswith(_MEMBERSHIP)]
        return list(dict.fromkeys([*from_moodle, *others]))
    if is_staff(said):
        return [role for role in said if role != lti.ROLE_LEARNER and not role.startswith(_MEMBERSHIP + "/Learner#")]
    return said


def standing(roles: Sequence[str], *, limit: str | None, assessor: bool) -> str:
    """What the roster shows a member as: "coordinator", "assessor", "staff" (staff without a Samattha role,
    who may view), "learner" or "none"."""
    if is_staff(roles):
        if lti.ROLE_INSTRUCTOR in roles and limit is None:
            return "coordinator"
        return "assessor" if assessor else "staff"
    if assessor:
        return "assessor"
    return "learner" if lti.ROLE_LEARNER in roles else "none"
