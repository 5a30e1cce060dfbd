"""Printed documents of a work order. Placeholder: replaced by wo-pdf (the documents
helper's branch), which renders and stores the PDFs; the services call
`document_issue_later` when the customer signs and at settlement."""


def document_issue_later(*, work_order, kind, by):
    """Replaced by wo-pdf: queues the rendering of one document after commit."""
