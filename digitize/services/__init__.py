"""The services: one function per user action, the same for every way in (the `sohoa` command line
today, a web API and a job worker next).

Each takes the archive and the acting user (`Actor`) and returns plain values — what `--json` prints
— and owns what every interface must do alike: citizen IDs masked unless shown on purpose (and then
logged), views of a paper's text logged, the search index brought up to date after a change, dates
read from what a user typed. The interfaces parse, call one service and render; the services call
the domain modules (digitize/) and nothing calls them back.

    actor      who acts
    common     masking and the show-ids log, date values, a paper that must exist
    scanning   scan files (checked and counted first, then run with progress callbacks), watch a folder
    views      a paper's PDF, a page as PNG (cached), a page's word boxes, each view logged
    papers     show, text, edit, extract, reuse, replace, attach, a holder's papers, search
    records    register import, records list and show, coverage and its missing list, rescan list and accept
    upkeep     init, reindex, check, backup, restore, the audit log
"""

from digitize.services.actor import Actor  # noqa: F401 (what every caller needs first)
