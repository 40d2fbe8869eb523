"""Helpers for every test suite, one module per concern; import each name from its module.

``host``: the pluggy host and the plugin's options in tests; ``people``: the demo members
and alice's counts; ``tickets``: deletion tickets; ``records``: duplicate checks;
``secrets``: keys and leak scanners; ``cassettes``: recording and reading cassettes;
``network``: every connection the process opens; ``proxy``: a programmable proxy in front
of the sandbox; ``cli``: the host CLI in miniature; ``leftovers``: what a cancelled call
must not leave behind; ``outcomes``: the reliability suite's closing table; ``waiting``:
waiting for an observable point, never for a length of time.
"""
