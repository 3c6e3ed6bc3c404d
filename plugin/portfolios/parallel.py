"""The CPU-bound half of a compile batch — decode the statements, compile, serialise, hash — as a plain
function over plain data, so a large run can spread it over several processes (SAMATTHA_COMPILE_WORKERS).

Workers never touch the database: the run reads the statements and writes the snapshots itself, in the same
batches and commits as without workers, so an interrupted run and the hashes are exactly as they would be
without them. The pool uses "spawn" (fresh interpreters), never fork: ``samattha serve`` compiles in a
background thread, and forking a threaded process can copy a lock another thread holds."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, NamedTuple

from plugin.mapping.model import CourseMapping, StandardIndex
from plugin.portfolios.compiler import CourseName, compile_portfolio
from plugin.portfolios.model import canonical_text, portfolio_to_json
from plugin.portfolios.summaries import DocumentSummary, summarise
from xapi import jsontext

__all__ = ["MIN_JOBS", "Compiled", "Compiler", "Failed", "Job", "Pending", "compile_jobs", "pool", "workers"]

MIN_JOBS = 1000  # learners in a run below which starting processes (about a second of imports each) costs more


class Job(NamedTuple):
    learner_id: int
    name: str
    actor: Any
    as_of: datetime
    statements: list[str]  # raw JSON text as the LRS stored it


class Compiled(NamedTuple):
    learner_id: int
    document: str  # canonical JSON of the portfolio
    content_hash: str
    mapping_version: int
    as_of: datetime
    summary: DocumentSummary  # what a caseload reads instead of the document


class Failed(NamedTuple):
    """A learner whose portfolio could not be compiled, and why (the exception's type and message)."""

    learner_id: int
    error: str


def workers(env: Mapping[str, str] = os.environ) -> int:
    """SAMATTHA_COMPILE_WORKERS: processes compiling in parallel during large runs; by default one per CPU this
    process may use (a run of 10^6 statements on 2 CPUs: 44 s in one process, 33 s in two)."""
    value = env.get("SAMATTHA_COMPILE_WORKERS", "").strip()
    if not value:
        return len(os.sched_getaffinity(0))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"SAMATTHA_COMPILE_WORKERS must be a whole number of processes ≥ 1, not {value!r}")
    return int(value)


def compile_jobs(mapping: CourseMapping, standard: StandardIndex, course: CourseName,
                 jobs: list[Job]) -> list[Compiled | Failed]:
    """Each job compiled, or the reason it failed: one learner's data never stops the others."""
    done: list[Compiled | Failed] = []
    for job in jobs:
        try:
            done.append(_compile_one(mapping, standard, course, job))
        except Exception as exc:  # noqa: BLE001 - whatever went wrong is reported for this learner alone
            done.append(Failed(job.learner_id, f"{type(exc).__name__}: {exc}"[:2000]))
    return done


def _compile_one(mapping: CourseMapping, standard: StandardIndex, course: CourseName, job: Job) -> Compiled:
    portfolio = compile_portfolio([jsontext.loads(raw) for raw in job.statements], mapping, standard,
                                  as_of=job.as_of,
                                  learner={"id": str(job.learner_id), "name": job.name, "actor": job.actor},
                                  course=course)
    document = portfolio_to_json(portfolio)
    text = canonical_text(document)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Compiled(job.learner_id, text, digest, portfolio.mapping_version, portfolio.as_of, summarise(document))


_context: tuple[CourseMapping, StandardIndex, CourseName] | None = None


def _start(mapping: CourseMapping, standard: StandardIndex, course: CourseName) -> None:
    global _context
    _context = (mapping, standard, course)


def _work(jobs: list[Job]) -> list[Compiled | Failed]:
    if _context is None:
        raise RuntimeError("a compile worker starts with the mapping, the standard and the course (pool initializer)")
    return compile_jobs(*_context, jobs)


class Pending:
    """A batch being compiled: :meth:`wait` gives its results in job order."""

    def __init__(self, work: list[Compiled | Failed] | AsyncResult[list[list[Compiled | Failed]]]) -> None:
        self.work = work

    def wait(self) -> list[Compiled | Failed]:
        if isinstance(self.work, AsyncResult):
            self.work = [compiled for part in self.work.get() for compiled in part]
        return self.work


class Compiler:
    """Compiles a batch's jobs here, or split over the pool's processes while the caller goes on (reading the
    next batch, writing the last): :meth:`start`, then ``wait`` on what it gives."""

    def __init__(self, mapping: CourseMapping, standard: StandardIndex, course: CourseName, processes: Pool | None,
                 size: int) -> None:
        self.mapping, self.standard, self.course, self.processes, self.size = mapping, standard, course, processes, size

    def start(self, jobs: list[Job]) -> Pending:
        if self.processes is None or len(jobs) < 2 * self.size:
            return Pending(compile_jobs(self.mapping, self.standard, self.course, jobs))
        step = -(-len(jobs) // self.size)
        return Pending(self.processes.map_async(_work, [jobs[i:i + step] for i in range(0, len(jobs), step)]))


@contextmanager
def pool(mapping: CourseMapping, standard: StandardIndex, course: CourseName, *, size: int,
         jobs: int) -> Iterator[Compiler]:
    """A compiler for one course's run: a pool of ``size`` processes when ``size`` > 1 and there are at least
    MIN_JOBS ``jobs`` (learners), else compiling in this process."""
    if size <= 1 or jobs < MIN_JOBS:
        yield Compiler(mapping, standard, course, None, 1)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(size, initializer=_start, initargs=(mapping, standard, course)) as processes:
        yield Compiler(mapping, standard, course, processes, size)
