"""Sphinx extension of the nmf-teach website: API links, math everywhere, no thebe.

1. Docstring -> notebook. The ``nmf_teach`` docstrings name the notebook that
   explains them, as ``notebooks/NN_name.ipynb``. On the API page that name
   becomes a link to the notebook's page, so a reader can go from a function to
   the lesson that explains it (and with viewcode, to its source and back).
   A docstring naming a notebook that does not exist gives an "unknown
   document" warning, which fails ``make book``.

2. Numpy-style type descriptions are prose. ``n : int >= 1, default 10`` or
   ``pu_ : ndarray (n_users, n_factors)`` is text for the reader; Sphinx still
   turns each word of it into a would-be cross-reference, which nit-picky mode
   reports as broken ("default 10", "n_users"). Words of a type description
   that do not name a documented object are left as plain text. Everything
   else stays strict: an explicit :class:, :func:, :meth:, :mod: or :exc:
   reference that does not resolve still fails the build.

3. MathJax on every page. Sphinx loads MathJax only on pages that have math
   of their own, but the sidebar shows every chapter title, and a title may
   have math (``3. $R \\approx UV^\\top$ by hand``): without MathJax on the page
   it would show as raw TeX.

4. Thebe off means no thebe on the page. Jupyter Book always loads
   sphinx-thebe, which adds to every page a loader script naming a CDN URL
   (unpkg.com) and a Binder config for an unrelated example repository, even
   with ``launch_buttons: thebe: false``. They are dead code then; they are
   removed so that a page names no host it could load code from.
"""

import re

from docutils import nodes

NOTEBOOK = re.compile(r"(?:``)?notebooks/(\d\d_[A-Za-z0-9_]+)\.ipynb(?:``)?")


def _link_notebooks(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        lines[i] = NOTEBOOK.sub(r":doc:`notebooks/\1.ipynb </notebooks/\1>`", line)


def _type_words_are_prose(app, env, node, contnode):
    # Type fields (:type:, :vartype:, :rtype:) build their references with an
    # emphasis node and the refspecific flag; explicit roles use a literal node.
    if (
        node.get("refdomain") == "py"
        and node.get("reftype") in ("class", "obj")
        and node.get("refspecific")
        and isinstance(contnode, nodes.emphasis)
        and not isinstance(contnode, nodes.literal)
    ):
        return contnode
    return None


def _thebe_is_off(app):
    launch = app.config.html_theme_options.get("launch_buttons", {})
    return not launch.get("thebe", False)


def _drop_thebe_config(app, doctree, docname):
    if _thebe_is_off(app):
        for node in list(doctree.findall(nodes.raw)):
            text = node.astext()
            if "text/x-thebe-config" in text or text.startswith("<script>kernelName ="):
                node.parent.remove(node)


def _drop_thebe_scripts(app, pagename, templatename, context, doctree):
    if _thebe_is_off(app) and "script_files" in context:
        context["script_files"] = [
            js
            for js in context["script_files"]
            if not str(js.filename or "").endswith("sphinx-thebe.js")
            and "THEBE_JS_URL" not in js.attributes.get("body", "")
        ]
        context["css_files"] = [
            css
            for css in context.get("css_files", [])
            if not str(css.filename).endswith("sphinx-thebe.css")
        ]


def setup(app):
    app.set_html_assets_policy("always")
    app.connect("autodoc-process-docstring", _link_notebooks)
    # Low priority: run after every resolver that could find a real target.
    app.connect("missing-reference", _type_words_are_prose, priority=900)
    # After sphinx-thebe's own handlers (default priority 500).
    app.connect("doctree-resolved", _drop_thebe_config, priority=900)
    app.connect("html-page-context", _drop_thebe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
