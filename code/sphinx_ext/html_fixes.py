"""Sphinx extension: small fixes to the HTML that Jupyter Book 1 produces.

- Drop duplicate <script> tags. Some extensions register a script twice
  (sphinx-thebe's configuration block; MathJax once deferred and once not),
  and the second copies raise errors in the browser ("Identifier
  'THEBE_JS_URL' has already been declared", MathJax's "Cannot set property
  Package"). The first of each is kept.
- Drop role="list" from docutils' citation list: its entries carry the role
  doc-biblioentry, not listitem, which accessibility checkers flag as critical.
- In the Russian edition, sphinx-exercise titles a solution "Решение к" and the
  exercise's name in the nominative ("Упражнение 6.1"); Russian wants the
  dative: "Решение к упражнению 6.1".
"""

from __future__ import annotations

import re


def _key(script) -> str:
    filename = getattr(script, "filename", script)
    if filename:  # files are compared without their ?v= cache-busting suffix
        return str(filename).split("?", 1)[0]
    return "body:" + getattr(script, "attributes", {}).get("body", "")


def _fix_page(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if scripts:
        seen: set[str] = set()
        kept = []
        for script in scripts:
            if _key(script) not in seen:
                seen.add(_key(script))
                kept.append(script)
        context["script_files"] = kept
    if "body" in context:
        context["body"] = context["body"].replace(
            '<div role="list" class="citation-list">', '<div class="citation-list">'
        )
        if app.config.language == "ru":
            context["body"] = re.sub(r'(Решение к\s*<a [^>]*>\s*)Упражнение ',
                                     r"\1упражнению ", context["body"])


def setup(app):
    app.connect("html-page-context", _fix_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
