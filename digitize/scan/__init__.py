"""The scan pipeline as steps: files → pages → prepare + OCR (in parallel) → papers → archive →
catalog → index.

Pages of all files stream through one pool of worker processes, so every core stays busy even when
each paper has a single page, and only a few pages are in flight whatever the batch size (memory
stays flat). A worker prepares its page — blank? record code? turned? skewed? — and OCRs it; the
main process takes the pages back in order, cuts batches into papers at separator pages, and
archives each paper as soon as it is complete. A file that cannot be read fails alone.

    targets    the record, component or result papers go to, checked against the register
    pages      one page in a worker: prepare, OCR, turn and read again (the turn and OCR policy)
    pool       the worker processes, and a page read again alone when a worker dies on it
    cutting    one file's pages into papers: blank separators, record-code cover sheets
    assemble   a paper's archive PDF (digitize.tools.qpdf, else pypdf)
    commit     a paper into the catalog and the archive's files, exactly once
    scanner    `Scanner`, tying the steps together; `Outcome` per paper; the exit-code policy

Nothing is imported here, so that the target lookup (register, reuse) loads no imaging libraries.
"""
