"""FastAPI routers for the Dapr sidecar's calls into this app.

`orders.main.create_app()` builds the app.
"""
