"""What a clerk does with archived papers: correct their metadata, reuse them in another record,
mark them replaced, and list a citizen's papers with whether each is still valid.

A paper is valid unless it is replaced by a newer one (`sohoa replace`) or its expiry date has
passed. Reuse of an invalid paper is refused with the reason unless forced with a reason; every
correction, reuse and replacement is logged with who and when.
"""

from __future__ import annotations

from datetime import date

from digitize import audit
from digitize.catalog import Catalog, nfc
from digitize.errors import BadArgument, Conflict, Field
from digitize.metadata import DATE_FIELDS, FIELDS, check_citizen_id
from digitize.dates import date_given


def values(catalog: Catalog, paper_id: int) -> dict:
    """A paper's current values (corrected, else extracted) and what replaced it, if anything."""
    return catalog.metadata.values(paper_id)


def validity(current: dict, today: date | None = None) -> dict:
    """{"status": valid | expired | replaced, "expired_on", "replaced_by", "text"} from `values()`."""
    today_iso = (today or date.today()).isoformat()
    expired_on = current.get("expiry_date") if (current.get("expiry_date") or "9999") < today_iso else None
    replaced_by = current.get("replaced_by")
    reasons = ([f"replaced by #{replaced_by}"] if replaced_by else []) + (
        [f"expired on {expired_on}"] if expired_on else [])
    status = "replaced" if replaced_by else "expired" if expired_on else "valid"
    return {"status": status, "expired_on": expired_on, "replaced_by": replaced_by,
            "text": "; ".join(reasons) or "valid"}


# -- corrections ----------------------------------------------------------------------------------
def _checked(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None  # a correction to "no value" also wins over extraction
    value = " ".join(nfc(value).split())
    if field in DATE_FIELDS:
        return date_given(value, field)
    if field == "holder_id":
        value = value.replace(" ", "")
        reason = check_citizen_id(value)
        if reason:
            raise BadArgument("{holder_id} {value!r}: {reason}", field=field, value=value, reason=reason)
    return value


def edit(catalog: Catalog, paper_id: int, changes: dict[str, str | None], user: str) -> list[dict]:
    """Correct fields of a paper; returns [{field, old, new}] for the fields that changed.

    An empty value clears a field. The paper is marked for re-indexing.
    """
    catalog.require_paper(paper_id)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise BadArgument("unknown field {unknown}; fields are {fields}", unknown=", ".join(sorted(unknown)),
                          fields=", ".join(FIELDS))
    if not changes:
        raise BadArgument("nothing to change; give at least one of {fields}", field="changes",
                          fields=Field(*FIELDS))
    wanted = {f: _checked(f, v) for f, v in changes.items()}
    before = values(catalog, paper_id)
    done = [{"field": field, "old": before.get(field), "new": new} for field, new in wanted.items()]
    with catalog.transaction():
        catalog.metadata.correct(paper_id, [(d["field"], d["old"], d["new"]) for d in done], user)
        audit.log(catalog, user, "edit", paper_id=paper_id, detail=", ".join(sorted(wanted)))
    return done


# -- replacement ----------------------------------------------------------------------------------
def replace(catalog: Catalog, old_id: int, new_id: int, user: str) -> dict:
    """Mark paper `old_id` replaced by the newer `new_id`."""
    catalog.require_paper(old_id)
    catalog.require_paper(new_id)
    if old_id == new_id:
        raise BadArgument("a paper cannot replace itself (#{paper})", paper=old_id)
    chain, seen = new_id, set()
    while chain is not None and chain not in seen:  # the new paper must not itself lead back to the old
        if chain == old_id:
            raise Conflict("paper {paper} is already replaced, through newer papers, by {by}", paper=new_id, by=old_id)
        seen.add(chain)
        chain = values(catalog, chain).get("replaced_by")
    current = values(catalog, old_id).get("replaced_by")
    if current == new_id:
        return {"paper": old_id, "replaced_by": new_id, "changed": False}
    if current is not None:
        raise Conflict("paper {paper} is already replaced by #{by}", paper=old_id, by=current)
    with catalog.transaction():
        catalog.reuse.replace(old_id, new_id, user)
        audit.log(catalog, user, "replace", paper_id=old_id, detail=f"replaced by #{new_id}")
    return {"paper": old_id, "replaced_by": new_id, "changed": True}


# -- reuse ----------------------------------------------------------------------------------------
def reuse(catalog: Catalog, paper_id: int, record_code: str, component: str, user: str,
          force: bool = False, reason: str | None = None, today: date | None = None) -> dict:
    """Attach an archived paper to a component of a record as reused (the target is checked by
    the caller). An expired or replaced paper is refused unless forced, with a reason."""
    catalog.require_paper(paper_id)
    if force and not (reason and reason.strip()):
        raise BadArgument("{force} needs {reason:TEXT} saying why an invalid paper is reused", field="reason")
    state = validity(values(catalog, paper_id), today)
    if state["status"] != "valid" and not force:
        raise Conflict("paper {paper} is {state}; attach a valid paper, or reuse it anyway with {force} {reason:TEXT}",
                       field="force", paper=paper_id, state=state["text"])
    result = {"paper": paper_id, "record_code": record_code, "component": component,
              "validity": state["text"], "forced": bool(force and state["status"] != "valid")}
    with catalog.transaction():
        existing = catalog.papers.reused_as(paper_id, record_code, component)
        if existing:
            return {**result, "changed": False, "note": "already reused there"}
        if existing is not None:  # scanned for this very component: not a reuse
            raise Conflict("paper {paper} was scanned for {record} / {component}; it is not a reuse", paper=paper_id,
                               record=record_code, component=component)
        catalog.attach(paper_id, record_code, component, False, user=user, reused=True)
        catalog.reuse.log_reuse(paper_id, record_code, component, state["text"], result["forced"],
                                (reason or "").strip(), user)
        audit.log(catalog, user, "reuse", paper_id=paper_id, record_code=record_code,
                  detail=f"{component}; {state['text']}" + (f"; forced: {reason.strip()}" if result["forced"] else ""))
    return {**result, "changed": True}


# -- a citizen's papers ---------------------------------------------------------------------------
def papers_of(catalog: Catalog, holder_id: str, today: date | None = None, valid_only: bool = False) -> list[dict]:
    """The papers whose holder is this citizen ID, newest first (issue date, else scan time)."""
    holder_id = "".join(holder_id.split())
    if not holder_id.isdigit() or len(holder_id) not in (9, 12):
        raise BadArgument("{holder_id} {value!r}: a citizen ID has 12 digits (CCCD) or 9 (CMND)", field="holder_id",
                          value=holder_id)
    rows = catalog.metadata.papers_of_holder(holder_id)
    out = []
    for row in rows:
        paper = {"id": row["paper_id"], **{f: row[f] for f in FIELDS}, "source_name": row["source_name"],
                 "pdf_path": row["pdf_path"], "scanned_at": row["scanned_at"],
                 "records": catalog.papers.records_of(row["paper_id"])}
        paper["validity"] = validity(dict(row), today)
        if not valid_only or paper["validity"]["status"] == "valid":
            out.append(paper)
    return out
