"""tapster's web framework: Flask's API, written here (``tapster.App`` and friends).

A plain WSGI application: it runs on tapster's server, under gunicorn, or
under any WSGI server, and imports the server only inside ``App.run()``.
"""
