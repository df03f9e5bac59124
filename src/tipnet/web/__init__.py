"""Web pages served by the node: today the public "check it" page; later the analyst console.

Templates (Jinja2) are in ``templates/``, stylesheets in ``static/`` (mounted at ``/static``),
the words of each page in ``locales.yaml``.
"""
