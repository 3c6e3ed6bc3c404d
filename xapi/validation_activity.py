"""Activities and Activity Definitions (xAPI 1.0.3 §2.4.4.1; 2.0 §4.2.2.3)."""

from __future__ import annotations

from xapi.errors import StatementError
from xapi.validation_values import (
    JsonObject,
    child,
    item,
    require_array,
    require_object,
    require_string,
    validate_extensions,
    validate_iri,
    validate_irl,
    validate_language_map,
)

COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
# xAPI 1.0.3 §2.4.4.1 "Interaction Components": which component lists each interactionType
# may carry (the table "Interaction Types and their Interaction Component lists").
INTERACTION_COMPONENTS: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}
_DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *COMPONENT_LISTS,
    }
)
_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})


def validate_activity_id(value: object, path: str = "activityId") -> str:
    """An Activity id: an IRI (xAPI 1.0.3 §2.4.4.1 "id ... IRI, Required")."""
    return validate_iri(value, path)


def _validate_components(value: object, path: str) -> None:
    """An Interaction Component list: objects with a distinct string id and a description.

    xAPI 1.0.3 §2.4.4.1: id String (Required), description Language Map (Optional);
    "Within an array of Interaction Components, all id values MUST be distinct."
    """
    seen: set[str] = set()
    for index, component in enumerate(require_array(value, path)):
        where = item(path, index)
        obj = require_object(component, where, ("id", "description"), ("id",))
        component_id = require_string(obj["id"], child(where, "id"))
        if component_id in seen:
            raise StatementError(child(where, "id"), "duplicates another component id")
        seen.add(component_id)
        if "description" in obj:
            validate_language_map(obj["description"], child(where, "description"))


def _validate_interaction(definition: JsonObject, path: str) -> None:
    """interactionType, correctResponsesPattern and the component lists.

    XAPI-00064 (xAPI 1.0.3 §2.4.4.1 s8): interaction properties need an interactionType;
    the type must be one of the ten CMI types (suite activities.js rejects others).
    """
    used = [key for key in ("correctResponsesPattern", *COMPONENT_LISTS) if key in definition]
    if "interactionType" not in definition:
        if used:
            raise StatementError(child(path, "interactionType"), f"is required when {used[0]} is used")
        return
    kind = require_string(definition["interactionType"], child(path, "interactionType"))
    allowed = INTERACTION_COMPONENTS.get(kind)
    if allowed is None:
        raise StatementError(child(path, "interactionType"), "is not a known interaction type")
    if "correctResponsesPattern" in definition:
        pattern_path = child(path, "correctResponsesPattern")
        for index, pattern in enumerate(require_array(definition["correctResponsesPattern"], pattern_path)):
            require_string(pattern, item(pattern_path, index))
    for key in COMPONENT_LISTS:
        if key not in definition:
            continue
        if key not in allowed:
            raise StatementError(child(path, key), f'is not used with interactionType "{kind}"')
        _validate_components(definition[key], child(path, key))


def validate_activity_definition(value: object, path: str) -> JsonObject:
    """An Activity Definition (xAPI 1.0.3 §2.4.4.1 "Activity Definition"); every part optional."""
    definition = require_object(value, path, _DEFINITION_KEYS)
    for key in ("name", "description"):
        if key in definition:
            validate_language_map(definition[key], child(path, key))
    if "type" in definition:
        validate_iri(definition["type"], child(path, "type"))
    if "moreInfo" in definition:
        validate_irl(definition["moreInfo"], child(path, "moreInfo"))
    if "extensions" in definition:
        validate_extensions(definition["extensions"], child(path, "extensions"))
    _validate_interaction(definition, path)
    return definition


def validate_activity(value: object, path: str) -> JsonObject:
    """An Activity: objectType absent or "Activity", id IRI, optional definition.

    objectType may be omitted (xAPI 1.0.3 §2.4.4 "objectType ... defaults to Activity").
    """
    if isinstance(value, dict) and "objectType" in value and value["objectType"] != "Activity":
        raise StatementError(child(path, "objectType"), 'must be "Activity"')
    activity = require_object(value, path, _ACTIVITY_KEYS, ("id",))
    validate_activity_id(activity["id"], child(path, "id"))
    if "definition" in activity:
        validate_activity_definition(activity["definition"], child(path, "definition"))
    return activity
