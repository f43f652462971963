"""Sphinx extension of the nmf-teach website: API links, math everywhere, no thebe.

0. Notebook -> API. In a notebook's text, inline code naming an object of the
   package (```nmf_teach.NMF```, ```nmf_teach.plotting.heatmap```, or short,
   ```datasets.genre_matrix```) becomes a link
   to its entry on the API page, whose [source] link leads on to the code. The
   name is looked up by importing it, so a re-export (``nmf_teach.NMF``) links
   to where the object is documented (``nmf_teach.nmf.NMF``). A full
   ``nmf_teach.`` name that does not exist in the package (renamed, misspelt)
   is a warning, which fails ``make book``; a short name that does not resolve
   is left as it is.

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

import importlib
import re

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE_NAME = re.compile(r"^(nmf_teach(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\(\)|\(\.\.\.\))?$")


SHORT_NAME = re.compile(r"^([a-z_]+)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?:\(\)|\(\.\.\.\))?$")


def _submodules():
    import pkgutil

    import nmf_teach

    return {m.name for m in pkgutil.iter_modules(nmf_teach.__path__) if not m.name.startswith("_")}


def _resolve(dotted):
    """The documented name of ``dotted`` and its module, or None if it does not exist."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        module = obj.__name__
        rest = parts[cut:]
        owner = None
        for i, attr in enumerate(rest):
            if not hasattr(obj, attr):
                # An instance attribute set by fit() (NMF.pu_): link to its class.
                if owner is None and i == len(rest) - 1 and isinstance(obj, type):
                    return f"{obj.__module__}.{obj.__qualname__}", obj.__module__
                return None
            owner, obj = obj, getattr(obj, attr)
        if not rest:
            return module, module
        home = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if isinstance(home, str) and home.startswith("nmf_teach") and qualname:
            return f"{home}.{qualname}", home
        # A constant: its own name, in the module that holds it.
        return ".".join(parts), getattr(owner, "__name__", module)
    return None


def _link_package_names(app, doctree):
    docname = app.env.docname
    if not docname.startswith("notebooks/"):
        return
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, (nodes.reference, addnodes.pending_xref)):
            continue
        match = PACKAGE_NAME.match(literal.astext())
        short = SHORT_NAME.match(literal.astext())
        if match:
            dotted = match.group(1)
        elif short and short.group(1) in _submodules():
            # ``datasets.genre_matrix``: a module of the package, named short.
            dotted = "nmf_teach." + short.group(1) + short.group(2)
        else:
            continue
        resolved = _resolve(dotted)
        if resolved is None and not match:
            continue  # a short name that is not ours after all: leave it alone
        if resolved is None:
            logger.warning(
                "`%s` names nothing in the nmf_teach package (renamed or misspelt?)",
                literal.astext(),
                location=literal,
            )
            continue
        target, module = resolved
        xref = addnodes.pending_xref(
            "",
            literal.deepcopy(),
            refdomain="py",
            reftype="obj",
            reftarget=target,
            refexplicit=True,
            refwarn=True,
            nmf_teach_module=module,
        )
        literal.replace_self(xref)


def _fallback_to_module(app, env, node, contnode):
    # A package name with no entry of its own on the API page (a constant
    # without a docstring): link to its module's section instead.
    module = node.get("nmf_teach_module")
    if not module:
        return None
    domain = env.get_domain("py")
    return (
        domain.resolve_xref(env, node["refdoc"], app.builder, "mod", module, node, contnode)
        or contnode
    )


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
    app.connect("doctree-read", _link_package_names)
    app.connect("autodoc-process-docstring", _link_notebooks)
    # Low priority: run after every resolver that could find a real target.
    app.connect("missing-reference", _type_words_are_prose, priority=900)
    app.connect("missing-reference", _fallback_to_module, priority=900)
    # After sphinx-thebe's own handlers (default priority 500).
    app.connect("doctree-resolved", _drop_thebe_config, priority=900)
    app.connect("html-page-context", _drop_thebe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
