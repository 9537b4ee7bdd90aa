"""Who may do what: each service's action and the roles allowed it, and the agencies an actor sees.

The table is the one place the rights are written: every service calls `require(actor, ACTION)`
first, the server's route walk test reads `ALLOWED` to know which role must get 403. An actor
without a role is the operator at the archive's own machine (the `sohoa` command line): every
right, every agency — whoever has a shell there has the files anyway.

Roles (issue 13): a clerk receives and scans at the counter, staff find and reuse papers, a manager
reads coverage and the audit log, an admin keeps users, tokens and the archive itself. A user bound
to agencies (Decree 30: rights per record) sees only those agencies' records and their papers; a
paper on no record belongs to the agency of the clerk who scanned it.
"""

from __future__ import annotations

import unicodedata

from digitize.errors import Forbidden, Text
from digitize.services.actor import Actor

ROLES = ("clerk", "staff", "manager", "admin")

CLERK, STAFF, MANAGER, ADMIN = ROLES

# action → the roles that may do it. Names are the services' own.
ALLOWED: dict[str, frozenset[str]] = {action: frozenset(roles) for action, roles in {
    # the counter: register in, papers scanned, attached, rescanned
    "import_register": (CLERK,),
    "scan": (CLERK,),
    "jobs": (CLERK, ADMIN),  # a clerk's scans, an admin's upkeep jobs (each sees only their kinds)
    "attach": (CLERK,),
    "rescan_list": (CLERK,),
    "accept_rescan": (CLERK,),
    "replace_scan": (CLERK,),  # a flagged paper replaced by a new scan of it, at the counter (issue 14)
    "sign": (CLERK,),  # the receiving officer answers for the copy's fidelity (Decree 107/2021)
    # finding and reusing papers
    "search": (STAFF,),
    # the counter offers the applicant's papers already archived and reuses one (issue 14)
    "of_holder": (CLERK, STAFF),
    "show": (CLERK, STAFF),
    "view": (CLERK, STAFF),  # a paper's text, PDF, page images and word boxes (each view logged)
    "edit": (STAFF,),
    "reuse": (CLERK, STAFF),
    "replace": (STAFF,),
    "verify": (CLERK, STAFF, MANAGER),
    "export": (STAFF, MANAGER),  # a record's papers and Decree 30 metadata, for the archive
    # records and reports
    "list_records": (CLERK, STAFF, MANAGER),
    "show_record": (CLERK, STAFF, MANAGER),
    "coverage": (MANAGER,),
    "missing": (MANAGER,),
    "audit_log": (MANAGER,),
    # keeping the archive
    "users": (ADMIN,),
    "tokens": (ADMIN,),
    "check": (ADMIN,),
    "backup": (ADMIN,),
    "reindex": (ADMIN,),
    "re_extract": (ADMIN,),  # metadata extracted again from the stored text
}.items()}

# who may ask for citizen IDs unmasked (and is then logged)
SHOW_IDS = frozenset({STAFF, MANAGER})


def require(actor: Actor, action: str) -> None:
    """Forbidden unless `actor`'s role may do `action`."""
    if action not in ALLOWED:
        raise KeyError(f"no such action in the rights table: {action}")  # a bug, not the user's
    if actor.role is not None and actor.role not in ALLOWED[action]:
        raise Forbidden("{name} ({role}) may not {action}", name=actor.name, role=actor.role,
                        action=Text(action.replace("_", " ")))


def allowed(actor: Actor, action: str) -> bool:
    """Whether `actor`'s role may do `action` (a page offers only what its user may do)."""
    return actor.role is None or actor.role in ALLOWED[action]


def may_show_ids(actor: Actor) -> bool:
    return actor.role is None or actor.role in SHOW_IDS


def agencies(actor: Actor) -> tuple[str, ...] | None:
    """The agencies whose records `actor` sees, or None for all; NFC, as the catalog stores names
    (an agency typed with combining marks is the same agency)."""
    return tuple(unicodedata.normalize("NFC", a).strip() for a in actor.agencies) or None


def sees_agency(actor: Actor, agency: str | None) -> bool:
    scope = agencies(actor)
    return scope is None or agency in scope
