"""Sphinx extension: every page links to the same page in the book's other language.

The English book is built into ``_build/html`` and the Russian one into
``_build/html/ru``, with the same page names, so the link is a relative path:
``language_link = {"lang": "ru", "label": "Русский", "root": "ru/"}`` in the
English configuration, ``{"lang": "en", "label": "English", "root": "../"}`` in
the Russian one. Each content page gets the link at the top of its body and an
``<link rel="alternate" hreflang>`` in its head.
"""

from __future__ import annotations

from html import escape


def other_page(pagename: str, root: str) -> str:
    """The relative URL, from page ``pagename``, of the same page in the other book."""
    return "../" * pagename.count("/") + root + pagename + ".html"


def _add_link(app, pagename, templatename, context, doctree) -> None:
    link = app.config.language_link
    if not link or doctree is None or "body" not in context:
        return
    href = escape(other_page(pagename, link["root"]))
    lang, label = escape(link["lang"]), escape(link["label"])
    context["body"] = (
        f'<p class="language-link"><a href="{href}" hreflang="{lang}" lang="{lang}">'
        f"{label}</a></p>\n" + context["body"])
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{lang}" href="{href}" />')


def setup(app):
    app.add_config_value("language_link", {}, "html")
    app.connect("html-page-context", _add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
