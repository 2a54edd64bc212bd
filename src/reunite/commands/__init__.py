"""The commands of ``reunite``, one module per command group, thin over the layers.

Each module exposes ``register(app)``, which adds its group (a Typer sub-app) or its top-level
command to the ``reunite`` app; :mod:`reunite.cli` builds the app and calls them in order.
The layers never import this package, nor Typer.  A command parses its arguments, calls the
layer, prints the result; a :class:`reunite.errors.ReuniteError` becomes ``error: …`` lines and
exit status 2 (:func:`reunite.commands._common.fail`).  The layers are imported when a command
runs, so that ``reunite --help`` does not load them.

=============  ==========================================================
module         commands
=============  ==========================================================
kinship        ``kinship lr``
cohort         ``cohort solve``
lineage        ``lineage y|mt|method``
guidance       ``guidance``
frequencies    ``frequencies list|show``
demo           ``demo``
index          ``index build|status|found``
search         ``search``, ``search batch``
bench          ``bench search``
simulate       ``simulate``
imports        ``import profiles|families|found|reports``, ``export``, ``match``
labfiles       ``convert genemapper|cmf|familias|to-familias|to-pedtools|to-cmf``
consent        ``consent withdraw``
audit          ``audit verify``
candidates     ``candidates list|show``, ``review``
users          ``users add|disable|list``
labs           ``labs add|list``
photos         ``photos add``
db             ``db upgrade|status``
network        ``network import|chain|unfound|gaps|brokers|export``
report         ``report``
serve          ``serve``
evidence       ``evidence calibrate``
=============  ==========================================================
"""
