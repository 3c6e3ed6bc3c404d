"""A compile batch's heavy half — read each learner's statements, decode, compile, serialise, hash, summarise —
so a large run can spread it over several processes (SAMATTHA_COMPILE_WORKERS).

Each worker reads its learners' statements over its own database connection: at 10^6 statements the reading was
a third of a run's CPU, all of it in the run's own process while the workers waited. The run itself reads only
who is due and writes the snapshots, in the same batches and commits as without workers, so an interrupted run
and the hashes are exactly as they would be without them. The pool uses "spawn" (fresh interpreters), never
fork: ``samattha serve`` compiles in a background thread, and forking a threaded process can copy a lock another
thread holds."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, select

import xapi.models as lrs
from plugin.db import make_engine
from plugin.mapping.model import CourseMapping, StandardIndex
from plugin.portfolios.compiler import CourseName, compile_portfolio
from plugin.portfolios.model import canonical_text, portfolio_to_json
from plugin.portfolios.summaries import DocumentSummary, summarise
from xapi import jsontext

__all__ = ["MIN_JOBS", "Compiled", "Compiler", "Failed", "Job", "Pending", "compile_jobs", "pool", "statements_of",
           "workers"]

MIN_JOBS = 1000  # learners in a run below which starting processes (about a second of imports each) costs more


class Job(NamedTuple):
    learner_id: int
    name: str
    actor: Any
    as_of: datetime
    ifis: list[str]  # the IFIs the LRS indexes the learner's statements under


class Compiled(NamedTuple):
    learner_id: int
    document: str  # canonical JSON of the portfolio
    content_hash: str
    mapping_version: int
    as_of: datetime
    summary: DocumentSummary  # what a caseload reads instead of the document
    statements: int  # how many were read


class Failed(NamedTuple):
    """A learner whose portfolio could not be compiled, and why (the exception's type and message)."""

    learner_id: int
    error: str
    statements: int


def workers(env: Mapping[str, str] = os.environ) -> int:
    """SAMATTHA_COMPILE_WORKERS: processes reading and compiling in parallel during large runs; by default one per
    CPU this process may use (benchmarks/README.md, "Portfolio compilation", has what two give on 2 CPUs)."""
    value = env.get("SAMATTHA_COMPILE_WORKERS", "").strip()
    if not value:
        return len(os.sched_getaffinity(0))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"SAMATTHA_COMPILE_WORKERS must be a whole number of processes ≥ 1, not {value!r}")
    return int(value)


def statements_of(connection: Connection, learners: dict[int, list[str]]) -> dict[int, list[str]]:
    """Each learner's not-voided statements (raw JSON text), by the identity join: the statement's actor is
    one of the learner's account IFIs. One query over the agent index; the actor's IFI column tells whose a
    statement is, so nothing is decoded here, and the compiler decodes each statement once."""
    owner = {ifi: learner for learner, ifis in learners.items() for ifi in ifis}
    found: dict[int, list[str]] = {learner: [] for learner in learners}
    if not owner:
        return found
    agent, statement = lrs.StatementAgent, lrs.Statement
    query = (select(agent.ifi, statement.raw)
             .join(statement, statement.statement_id == agent.statement_id)
             .where(agent.ifi.in_(list(owner)), statement.actor_ifi == agent.ifi, statement.voided.is_(False)))
    for ifi, raw in connection.execute(query):
        found[owner[ifi]].append(raw)
    return found


def compile_jobs(mapping: CourseMapping, standard: StandardIndex, course: CourseName, jobs: list[Job],
                 connection: Connection) -> list[Compiled | Failed]:
    """Each job compiled from the statements read over ``connection``, or the reason it failed: one learner's
    data never stops the others."""
    found = statements_of(connection, {job.learner_id: job.ifis for job in jobs})
    done: list[Compiled | Failed] = []
    for job in jobs:
        statements = found[job.learner_id]
        try:
            done.append(_compile_one(mapping, standard, course, job, statements))
        except Exception as exc:  # noqa: BLE001 - whatever went wrong is reported for this learner alone
            done.append(Failed(job.learner_id, f"{type(exc).__name__}: {exc}"[:2000], len(statements)))
    return done


def _compile_one(mapping: CourseMapping, standard: StandardIndex, course: CourseName, job: Job,
                 statements: list[str]) -> Compiled:
    portfolio = compile_portfolio([jsontext.loads(raw) for raw in statements], mapping, standard,
                                  as_of=job.as_of,
                                  learner={"id": str(job.learner_id), "name": job.name, "actor": job.actor},
                                  course=course)
    document = portfolio_to_json(portfolio)
    text = canonical_text(document)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Compiled(job.learner_id, text, digest, portfolio.mapping_version, portfolio.as_of, summarise(document),
                    len(statements))


_context: tuple[CourseMapping, StandardIndex, CourseName, Engine] | None = None


def _start(mapping: CourseMapping, standard: StandardIndex, course: CourseName, database_url: str) -> None:
    global _context
    _context = (mapping, standard, course, make_engine(database_url))


def _work(jobs: list[Job]) -> list[Compiled | Failed]:
    if _context is None:
        raise RuntimeError("a compile worker starts with the mapping, the standard, the course and the database "
                           "(pool initializer)")
    mapping, standard, course, engine = _context
    with engine.connect() as connection:
        return compile_jobs(mapping, standard, course, jobs, connection)


class Pending:
    """A batch being compiled: :meth:`wait` gives its results in job order."""

    def __init__(self, work: list[Compiled | Failed] | AsyncResult[list[list[Compiled | Failed]]]) -> None:
        self.work = work

    def wait(self) -> list[Compiled | Failed]:
        if isinstance(self.work, AsyncResult):
            self.work = [compiled for part in self.work.get() for compiled in part]
        return self.work


class Compiler:
    """Compiles a batch's jobs here (reading over ``connection()``), or split over the pool's processes while the
    caller goes on (reading the next batch, writing the last): :meth:`start`, then ``wait`` on what it gives."""

    def __init__(self, mapping: CourseMapping, standard: StandardIndex, course: CourseName,
                 connection: Callable[[], Connection], processes: Pool | None, size: int) -> None:
        self.mapping, self.standard, self.course = mapping, standard, course
        self.connection, self.processes, self.size = connection, processes, size

    def start(self, jobs: list[Job]) -> Pending:
        if self.processes is None or len(jobs) < 2 * self.size:
            return Pending(compile_jobs(self.mapping, self.standard, self.course, jobs, self.connection()))
        step = -(-len(jobs) // self.size)
        return Pending(self.processes.map_async(_work, [jobs[i:i + step] for i in range(0, len(jobs), step)]))


@contextmanager
def pool(mapping: CourseMapping, standard: StandardIndex, course: CourseName, connection: Callable[[], Connection],
         *, size: int, jobs: int) -> Iterator[Compiler]:
    """A compiler for one course's run: a pool of ``size`` processes, each with its own connection to the
    database ``connection()`` is on, when ``size`` > 1 and there are at least MIN_JOBS ``jobs`` (learners); else
    compiling in this process over ``connection()``."""
    if size <= 1 or jobs < MIN_JOBS:
        yield Compiler(mapping, standard, course, connection, None, 1)
        return
    url = connection().engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    with context.Pool(size, initializer=_start, initargs=(mapping, standard, course, url)) as processes:
        yield Compiler(mapping, standard, course, connection, processes, size)
