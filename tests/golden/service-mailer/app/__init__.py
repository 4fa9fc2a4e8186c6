"""FastAPI routers for the Dapr sidecar's calls into this app.

`app.main.create_app()` builds the app.
"""
