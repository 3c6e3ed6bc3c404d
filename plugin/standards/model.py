"""Typed shape of the canonical standard JSON (``samattha-standard/1``, see content/standards/SCHEMA.md)."""

from __future__ import annotations

from typing import TypedDict

FORMAT = "samattha-standard/1"


class Criterion(TypedDict):
    code: str
    number: str
    text: str
    system_code: str | None


class Element(TypedDict):
    code: str
    title: str
    assessment_methods: list[str]
    criteria: list[Criterion]


class RangeStatement(TypedDict):
    text: str | None
    guidance: list[str]
    explanations: list[str]


class Unit(TypedDict):
    code: str
    title: str
    revision: str
    occupations: str | None
    description: str
    qualification_level: str | None
    sector: str | None
    other_occupations: str | None
    regulations: list[str]
    elements: list[Element]
    prerequisites: list[str]
    skills: list[str]
    knowledge: list[str]
    performance_evidence: list[str]
    knowledge_evidence: list[str]
    assessment_guidance: list[str]
    range_statement: RangeStatement
    assessment_procedure: list[str]


class Qualification(TypedDict):
    number: str
    title: str
    outcomes: str | None
    pathways: str | None
    renewal: str | None
    target_group: str | None
    units: list[str]


class KeyRole(TypedDict):
    code: str
    title: str
    key_functions: list[str]


class KeyFunction(TypedDict):
    code: str
    title: str
    units: list[str]


class StandardInfo(TypedDict):
    title: str
    introduction: str | None
    related_qualifications: list[str]


class SourceInfo(TypedDict):
    file: str
    sha256: str


class StandardDocument(TypedDict):
    format: str
    source: SourceInfo
    standard: StandardInfo
    qualifications: list[Qualification]
    key_purpose: str | None
    key_roles: list[KeyRole]
    key_functions: list[KeyFunction]
    units: list[Unit]
