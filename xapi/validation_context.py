"""Result and Context (xAPI 1.0.3 §2.4.5-§2.4.6; 2.0 §4.2.2.4-§4.2.2.5)."""

from __future__ import annotations

from xapi.errors import StatementError
from xapi.validation_activity import validate_activity
from xapi.validation_agents import validate_actor, validate_agent, validate_group
from xapi.validation_time import validate_duration
from xapi.validation_values import (
    JsonObject,
    child,
    item,
    require_array,
    require_bool,
    require_number,
    require_object,
    require_string,
    validate_extensions,
    validate_iri,
    validate_language_tag,
    validate_uuid,
)

_SCORE_KEYS = ("scaled", "raw", "min", "max")
_RESULT_KEYS = ("score", "success", "completion", "response", "duration", "extensions")
_CONTEXT_KEYS_V1 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
# xAPI 2.0 §4.2.2.5 (IEEE 9274.1.1) adds contextAgents and contextGroups.
_CONTEXT_KEYS_V2 = _CONTEXT_KEYS_V1 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")


def _validate_score(value: object, path: str) -> None:
    """Score (xAPI 1.0.3 §2.4.5.1): scaled in [-1, 1]; min < max; min <= raw <= max."""
    score = require_object(value, path, _SCORE_KEYS)
    numbers = {key: require_number(score[key], child(path, key)) for key in _SCORE_KEYS if key in score}
    scaled = numbers.get("scaled")
    if scaled is not None and not -1.0 <= scaled <= 1.0:
        raise StatementError(child(path, "scaled"), "must be between -1 and 1")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and not low < high:
        raise StatementError(child(path, "max"), "must be greater than min")
    if raw is not None and low is not None and raw < low:
        raise StatementError(child(path, "raw"), "must not be less than min")
    if raw is not None and high is not None and raw > high:
        raise StatementError(child(path, "raw"), "must not be greater than max")


def validate_result(value: object, path: str) -> JsonObject:
    """Result (xAPI 1.0.3 §2.4.5): every property optional, each strictly typed."""
    result = require_object(value, path, _RESULT_KEYS)
    if "score" in result:
        _validate_score(result["score"], child(path, "score"))
    for key in ("success", "completion"):
        if key in result:
            require_bool(result[key], child(path, key))
    if "response" in result:
        require_string(result["response"], child(path, "response"))
    if "duration" in result:
        validate_duration(result["duration"], child(path, "duration"))
    if "extensions" in result:
        validate_extensions(result["extensions"], child(path, "extensions"))
    return result


def _validate_context_activities(value: object, path: str) -> None:
    """contextActivities (xAPI 1.0.3 §2.4.6.2): keys parent/grouping/category/other, each an
    Activity or an array of Activities (a single Activity is accepted and later stored as
    an array; suite verify.js posts single objects and expects 200).
    """
    activities = require_object(value, path, _CONTEXT_ACTIVITY_KEYS)
    for key, entry in activities.items():
        where = child(path, key)
        if isinstance(entry, list):
            for index, activity in enumerate(entry):
                validate_activity(activity, item(where, index))
        else:
            validate_activity(entry, where)


def _validate_relevant_types(obj: JsonObject, path: str) -> None:
    """relevantTypes: a non-empty array of IRIs (xAPI 2.0 §4.2.2.5; suite contextagents.js)."""
    if "relevantTypes" not in obj:
        return
    where = child(path, "relevantTypes")
    for index, iri in enumerate(require_array(obj["relevantTypes"], where, non_empty=True)):
        validate_iri(iri, item(where, index))


def _validate_context_members(value: object, path: str, kind: str, version: str) -> None:
    """contextAgents / contextGroups (xAPI 2.0 §4.2.2.5): arrays of contextAgent objects
    {objectType "contextAgent", agent, relevantTypes?} or contextGroup objects
    {objectType "contextGroup", group, relevantTypes?}."""
    member = "agent" if kind == "contextAgent" else "group"
    for index, entry in enumerate(require_array(value, path)):
        where = item(path, index)
        obj = require_object(entry, where, ("objectType", member, "relevantTypes"), ("objectType", member))
        if obj["objectType"] != kind:
            raise StatementError(child(where, "objectType"), f'must be "{kind}"')
        if member == "agent":
            validate_agent(obj[member], child(where, member), version)
        else:
            validate_group(obj[member], child(where, member), version)
        _validate_relevant_types(obj, where)


def validate_statement_ref(value: object, path: str) -> JsonObject:
    """StatementRef (xAPI 1.0.3 §2.4.4.3): objectType "StatementRef" (required, case-exact;
    suite contexts.js rejects "statementref") and id UUID; used as object and context.statement.
    """
    ref = require_object(value, path, ("objectType", "id"), ("objectType", "id"))
    if ref["objectType"] != "StatementRef":
        raise StatementError(child(path, "objectType"), 'must be "StatementRef"')
    validate_uuid(ref["id"], child(path, "id"))
    return ref


def _validate_context_scalars(context: JsonObject, path: str, object_is_activity: bool) -> None:
    if "registration" in context:
        validate_uuid(context["registration"], child(path, "registration"))
    for key in ("revision", "platform"):
        if key not in context:
            continue
        require_string(context[key], child(path, key))
        if not object_is_activity:
            # xAPI 1.0.3 §2.4.6 s4: revision/platform MUST only be used when the object is an Activity.
            raise StatementError(child(path, key), "is only allowed when the object is an Activity")
    if "language" in context:
        validate_language_tag(context["language"], child(path, "language"))
    if "statement" in context:
        validate_statement_ref(context["statement"], child(path, "statement"))
    if "extensions" in context:
        validate_extensions(context["extensions"], child(path, "extensions"))


def validate_context(value: object, path: str, version: str, *, object_is_activity: bool) -> JsonObject:
    """Context (xAPI 1.0.3 §2.4.6; 2.0 §4.2.2.5)."""
    allowed = _CONTEXT_KEYS_V2 if version.startswith("2.") else _CONTEXT_KEYS_V1
    context = require_object(value, path, allowed)
    if "instructor" in context:
        validate_actor(context["instructor"], child(path, "instructor"), version)
    if "team" in context:
        # xAPI 1.0.3 §2.4.6: team is a Group (an Agent is rejected; suite contexts.js).
        validate_group(context["team"], child(path, "team"), version)
    if "contextActivities" in context:
        _validate_context_activities(context["contextActivities"], child(path, "contextActivities"))
    for key, kind in (("contextAgents", "contextAgent"), ("contextGroups", "contextGroup")):
        if key in context:
            _validate_context_members(context[key], child(path, key), kind, version)
    _validate_context_scalars(context, path, object_is_activity)
    return context
