"""Subscription deliveries per second through the generated endpoint router, against dapr-ext-fastapi."""
