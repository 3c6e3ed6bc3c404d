"""Course mapping: which Moodle activities evidence which units, elements, criteria and evidence items."""

from plugin.mapping.files import FORMAT, MappingFileError, Problem, dump_mapping, load_mapping
from plugin.mapping.model import (
    CourseMapping,
    MappingEntry,
    Rule,
    StandardIndex,
    activity_matches,
    expand_targets,
    linked_items,
    mapped_units,
)
from plugin.mapping.rules import ActivityIndex, score_fraction, statement_activities, statement_counts

__all__ = [
    "FORMAT",
    "ActivityIndex",
    "CourseMapping",
    "MappingEntry",
    "MappingFileError",
    "Problem",
    "Rule",
    "StandardIndex",
    "activity_matches",
    "dump_mapping",
    "expand_targets",
    "linked_items",
    "load_mapping",
    "mapped_units",
    "score_fraction",
    "statement_activities",
    "statement_counts",
]
