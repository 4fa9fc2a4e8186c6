"""The generated client's transport benchmark: the generated client beside bare httpx, aiohttp and the official SDK."""
